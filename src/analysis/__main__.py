"""``python -m analysis`` is the ``recalcul`` command line (:mod:`analysis.cli`)."""

import sys

from analysis.cli import main

sys.exit(main())
