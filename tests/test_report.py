"""The planner's report: its figures are paired seed by seed from the ensemble's
indicators (hand-worked below), and the command writes one page on a group end to end."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from migrasim.observation.planner import Band, cost_per_gain, paired, per_seed, retention


def _indicators(rows):
    """Rows (scenario, seed, indicator, year, value) on the target area."""
    df = pd.DataFrame(rows, columns=["scenario", "seed", "indicator", "year", "value"])
    return df.assign(for_scenario=df["scenario"], area="target")


IND = _indicators([
    # seed 1: the policy costs 1,000 € a year, brings 4 more arrivals, 2 more retained
    ("ref", 1, "arrivals", 2022, 10), ("ref", 1, "arrivals", 2023, 10),
    ("pol", 1, "arrivals", 2022, 12), ("pol", 1, "arrivals", 2023, 12),
    ("ref", 1, "retained_newcomers_1y", 2022, 5), ("pol", 1, "retained_newcomers_1y", 2022, 7),
    ("ref", 1, "policy_cost_eur", 2022, 0), ("pol", 1, "policy_cost_eur", 2022, 1000),
    ("ref", 1, "policy_cost_eur", 2023, 0), ("pol", 1, "policy_cost_eur", 2023, 1000),
    # seed 2: same cost, no extra newcomer retained
    ("ref", 2, "arrivals", 2022, 20), ("ref", 2, "arrivals", 2023, 20),
    ("pol", 2, "arrivals", 2022, 20), ("pol", 2, "arrivals", 2023, 21),
    ("ref", 2, "retained_newcomers_1y", 2022, 9), ("pol", 2, "retained_newcomers_1y", 2022, 9),
    ("ref", 2, "policy_cost_eur", 2022, 0), ("pol", 2, "policy_cost_eur", 2022, 1000),
    ("ref", 2, "policy_cost_eur", 2023, 0), ("pol", 2, "policy_cost_eur", 2023, 1000),
])


def test_totals_are_summed_over_the_years_or_taken_at_the_last():
    assert per_seed(IND, "pol", "arrivals", "target").to_dict() == {1: 24, 2: 41}
    assert per_seed(IND, "pol", "arrivals", "target", "last").to_dict() == {1: 12, 2: 21}


def test_differences_are_paired_seed_by_seed():
    assert paired(IND, "pol", "ref", "arrivals", "target").to_dict() == {1: 4, 2: 1}


def test_retention_is_those_still_there_over_the_arrivals_of_the_cohort_years():
    """Cohort 2022 only can be followed a year: 7 of 12 arrivals (seed 1), 9 of 20."""
    assert retention(IND, "pol", "target", 1).to_dict() == pytest.approx({1: 7 / 12,
                                                                          2: 9 / 20})


def test_the_cost_per_retained_newcomer_counts_the_seeds_without_a_gain():
    """Seed 1: 2,000 € for 2 more retained = 1,000 € each; seed 2 gained none: counted
    apart, never divided by zero."""
    band, without = cost_per_gain(IND, "pol", "ref", "retained_newcomers_1y", "target",
                                  years=[2022])
    assert (band.q50, band.seeds, without) == (1000.0, 1, 1)


def test_a_band_is_the_10_50_90_quantiles_over_seeds():
    band = Band.of(pd.Series(np.arange(11.0)))
    assert (band.q10, band.q50, band.q90, band.seeds) == (1.0, 5.0, 9.0, 11)
    assert Band.of(pd.Series([np.nan])).text() == "n/a"


def test_the_report_command_writes_one_page_on_the_group(tmp_path):
    out = tmp_path / "report"
    done = subprocess.run(
        [sys.executable, "-m", "migrasim.report", "group=petr_haut_rouergue",
         "scenarios=[baseline,zan_strict]", "reference=baseline", "seeds=2", "workers=1",
         "scale=0.002", "months=24", "territory.departements=[12,15,48]", "progress=false",
         "pdf=true", f"hydra.run.dir={out}"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    text = (out / "report.md").read_text()
    for heading in ("Arrivals and departures by profile", "Newcomers still there",
                    "Prices, rents and displacement", "Cost"):
        assert f"## {heading}" in text
    assert "CC Aubrac, Carladez et Viadène" in text
    assert (out / "report.pdf").stat().st_size > 10_000
    assert (out / "paths_target.png").exists() and (out / "profiles_target.png").exists()


def test_a_group_that_does_not_exist_is_refused_in_one_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "migrasim.report", "group=nowhere",
                           f"hydra.run.dir={tmp_path}"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "group: 'nowhere' is not allowed" in done.stderr
