"""The announced-jobs calculator: arithmetic on the headline estimate, and every refusal named."""

from __future__ import annotations

import math

import pytest

import analysis as rc
from analysis.methods import announced as A


@pytest.fixture(scope="module")
def estimate():
    return A.headline_estimate()


def test_headline_estimate_is_the_notebooks(estimate):
    assert 100 * estimate.m == pytest.approx(100.8, abs=0.05)
    ci = estimate.conf_int("akm0").loc["m"]
    assert (100 * ci["lower"], 100 * ci["upper"]) == pytest.approx((61.3, 279.3), abs=0.05)


def test_expected_jobs_are_the_multiplier_times_the_announcement(estimate):
    r = A.announced_jobs(300, rc.resolve("ze2020", "5219"), "cl", estimate=estimate)
    ci = estimate.conf_int("akm0").loc["m"]
    assert r.expected == pytest.approx(300 * estimate.m) and r.low == pytest.approx(300 * ci["lower"])
    assert r.sector == "CL" and r.zones == ("5219",)
    exposed = float(estimate.panel.set_index("zone").loc["5219", "exposed_1"])
    assert r.log_change == pytest.approx(math.log((exposed + 300) / exposed))
    text = r.summary()
    assert "average effect" in text and "AKM0" in text and "5219" in text
    assert r.to_frame().loc[0, "expected_sheltered_jobs"] == round(300 * estimate.m)


@pytest.mark.parametrize("jobs, level, code, sector, message", [
    (300, "ti", "ti-0401", "CL", "outside the estimation sample"),          # overseas
    (300, "epci", "241501139", "CL", "spans several zones"),                # rural EPCI over two zones, none >= 50 %
    (300, "ze2020", "5219", "GZ", "not an exposed sector"),                 # trade is sheltered
    (2.5, "ze2020", "5219", "CL", "positive whole number of jobs, got 2.5$"),
    (0.0, "ze2020", "5219", "CL", "positive whole number of jobs, got 0$"),       # as typed, not 0.0
    (-5.0, "ze2020", "5219", "CL", "positive whole number of jobs, got -5$"),
    (True, "ze2020", "5219", "CL", "positive whole number of jobs, got True$"),
    (10**6, "ze2020", "5219", "CL", "beyond the largest change"),
])
def test_refusals_name_what_is_outside(estimate, jobs, level, code, sector, message):
    with pytest.raises(A.AnnouncedJobsError, match=message):
        A.announced_jobs(jobs, rc.resolve(level, code), sector, estimate=estimate)


def test_a_commune_is_measured_on_the_zone_that_holds_it(estimate):
    r = A.announced_jobs(50, rc.resolve("commune", "63178"), "CH", estimate=estimate)  # Issoire
    assert r.zones == ("8410",) and "holds the whole territory" in r.summary()


def test_a_region_s_many_zones_are_shortened_in_sentences_and_kept_in_the_table(estimate):
    """Auvergne-Rhône-Alpes is measured on its 36 zones: the summary named all 36 twice; it now gives the first
    six, the last and their number, and the table keeps every zone."""
    r = A.announced_jobs(50, rc.resolve("reg", "84"), "CH", estimate=estimate)
    assert len(r.zones) == 36
    text = r.summary()
    assert f"measured on ZE2020 {', '.join(r.zones[:6])} ... {r.zones[-1]} (36 zones)" in text
    assert r.zones[10] not in text
    assert r.to_frame().loc[0, "zones"] == "; ".join(r.zones)
    assert A.zones_text(["8410"]) == "8410" and A.zones_text([str(i) for i in range(8)]) == "0, 1, 2, 3, 4, 5, 6, 7"
