"""INSEE ETE département x A17 loader (real file from the mirror) and its use in the multiplier."""

import numpy as np
import pytest

from analysis.methods import multiplier as mp
from analysis.data.loaders import employment


@pytest.fixture(scope="module")
def ete():
    return employment.load_ete_departement_a17()


def test_ete_shape_codes_and_gaps(ete):
    assert len(ete) == 100 * 17 * 74
    assert set(ete["sector"]) == set(employment.ETE_A17_SECTORS)
    assert {"2A", "2B", "75", "971", "974"} <= set(ete["dep"]) and ete["dep"].nunique() == 100
    metro = ete[~ete["region"].isin(mp.OVERSEAS_REGIONS)]
    assert metro["dep"].nunique() == 96 and metro["region"].nunique() == 13
    # agriculture and non-market services only from 2010-T4; market sectors complete in metropolitan France
    before = metro[metro["period"] < "2010Q4"]
    assert before.loc[before["sector"].isin(["AZ", "OQ"]), "employment"].isna().all()
    assert before.loc[~before["sector"].isin(["AZ", "OQ"]), "employment"].notna().all()
    assert metro.loc[metro["period"] >= "2010Q4", "employment"].notna().all()
    paris = ete[(ete["dep"] == "75") & (ete["period"] == "2019Q4")].set_index("sector")["employment"]
    assert 150_000 < paris["KZ"] < 250_000 and paris.sum() > 1_500_000


def test_ete_a17_codes_are_classified(ete):
    c = mp.load_sector_classification()
    g = mp.sector_groups(c, "a17", "footnote17")
    assert set(g.index) == set(employment.ETE_A17_SECTORS)
    assert set(g.index[g == "exposed"]) == {"AZ", "C1", "C2DE", "C3", "C4", "C5", "KZ"}
    assert np.isin(["OQ"], g.index[g == "excluded"]).all()
