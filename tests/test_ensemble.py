"""Ensembles: every scenario × seed with common random numbers, in parallel or not, to
the same numbers; paired bands are narrower than level bands; everything is checked
before the first run; an ensemble saved is an ensemble reopened."""

import numpy as np
import pandas as pd
import pytest
from conftest import two_cores

from migrasim import ConfigError, Ensemble, Simulation
from migrasim.experiments.launch import Launcher, cores
from migrasim.observation import bands

AREA = ["territory.departements=[12,48]"]
SMALL = dict(scale=0.01, months=24, overrides=AREA)      # 2019-2020: covid from 2020-03
TINY = dict(scale=0.002, months=6, overrides=[*AREA, "start=2020-01"])


@pytest.fixture(scope="module")
def covid():
    return Ensemble(["baseline", "covid"], seeds=6, target="petr_haut_rouergue",
                    workers=1, **SMALL).run(progress=False)


def test_each_run_is_the_simulation_of_its_scenario_and_seed(covid):
    """Seed s of a scenario reuses the territory constants of the reference's seed s: it
    is exactly ``Simulation(scenario, seed=s)`` compared with the reference."""
    res = Simulation("covid", seed=3, compare_to="baseline", **SMALL).run(progress=False)
    mine = covid.results["covid"][2]
    assert mine.config.seed == 3 and mine.baseline is covid.results["baseline"][2]
    pd.testing.assert_frame_equal(mine.territories, res.territories)
    pd.testing.assert_frame_equal(mine.baseline.territories, res.baseline.territories)
    assert mine.destabilisation.equals(res.destabilisation)


def test_the_comparison_has_levels_and_paired_differences_by_area_and_year(covid):
    c = covid.comparison
    assert list(c.columns) == ["scenario", "indicator", "area", "year", "q10", "q50", "q90",
                               "diff_q10", "diff_q50", "diff_q90"]
    assert set(c["area"]) == {"national", "target", "neighbours"}
    assert set(c["year"]) == {2019, 2020}
    assert c.loc[c["scenario"] == "baseline", "diff_q50"].isna().all()
    # the shock is in 2020; retention is indexed by the cohort's year but seen later
    before = c[(c["scenario"] == "covid") & (c["year"] == 2019)
               & ~c["indicator"].str.startswith("retained_newcomers_")]
    assert (before[["diff_q10", "diff_q50", "diff_q90"]].fillna(0.0) == 0.0).all().all()
    levels = c.dropna(subset=["q50"])  # cost ratios have a paired band only
    assert set(c.loc[c["q50"].isna(), "indicator"]) <= {
        "cost_per_retained_newcomer_eur", "cost_per_displacement_avoided_eur"}
    assert (levels["q10"] <= levels["q50"]).all() and (levels["q50"] <= levels["q90"]).all()


def test_paired_bands_are_narrower_than_level_bands(covid):
    c = covid.comparison
    shock = c[(c["scenario"] == "covid") & (c["year"] == 2020)].set_index(["indicator", "area"])
    for key in [("population", "national"), ("population", "target"),
                ("price_m2", "national"), ("price_m2", "target")]:
        level = shock.loc[key, "q90"] - shock.loc[key, "q10"]
        paired = shock.loc[key, "diff_q90"] - shock.loc[key, "diff_q10"]
        assert 0 < paired < 0.5 * level, key
        unpaired = bands.unpaired(covid.indicators, "covid", "baseline").xs(
            (*key, 2020), level=("indicator", "area", "year"))
        assert paired < unpaired.quantile(0.9) - unpaired.quantile(0.1), key


def test_the_band_of_the_ensemble_mean_narrows_from_3_to_12_seeds():
    """The runs' own band does not shrink with more seeds; the uncertainty of their mean
    does, as 1/√seeds: the 12-seed band is narrower than the 3-seed bands of the four
    disjoint triples of the same seeds (on average, so one lucky triple cannot decide)."""
    ens = Ensemble(["baseline"], seeds=12, scale=0.002, months=12, overrides=AREA,
                   workers=1).run(progress=False)
    mean = ens.quantiles(area="national", statistic="mean").set_index("indicator")
    levels = bands.levels(ens.indicators, "baseline")
    for indicator in ("population", "households", "price_m2", "rent_month"):
        values = levels.xs((indicator, "national", 2019),
                           level=("indicator", "area", "year")).to_numpy()
        triples = [bands.mean_band(values[i:i + 3]) for i in range(0, 12, 3)]
        three = np.mean([high - low for low, high in triples])
        twelve = mean.loc[indicator, "high"] - mean.loc[indicator, "low"]
        assert twelve < three, indicator
    few = Ensemble(["baseline"], seeds=3, scale=0.002, months=12, overrides=AREA,
                   workers=1).run(progress=False)
    pd.testing.assert_frame_equal(
        few.indicators, ens.indicators[ens.indicators["seed"] <= 3].reset_index(drop=True))


@two_cores
def test_one_worker_two_workers_and_submitit_jobs_give_the_same_ensemble(tmp_path):
    one = Ensemble(["baseline", "covid"], seeds=2, workers=1, **TINY).run(progress=False)
    two = Ensemble(["baseline", "covid"], seeds=2, workers=2, **TINY).run(
        progress=False, directory=tmp_path / "two")
    jobs = Ensemble(["baseline", "covid"], seeds=2, launcher=Launcher(
        "submitit_local", workers=2, folder=str(tmp_path / "submitit")), **TINY).run(
        progress=False)
    for other in (two, jobs):
        pd.testing.assert_frame_equal(one.indicators, other.indicators)
        pd.testing.assert_frame_equal(one.comparison, other.comparison)
        pd.testing.assert_frame_equal(one.epci, other.epci)
    assert (tmp_path / "two" / "runs" / "covid" / "seed2" / "summary.json").exists()
    pd.testing.assert_frame_equal(two.results["covid"][1].territories,
                                  one.results["covid"][1].territories)


def test_an_ensemble_saved_is_an_ensemble_reopened(covid, tmp_path):
    out = covid.save(tmp_path / "ens", figures=False)
    for name in ("comparison.parquet", "comparison_epci.parquet", "indicators.parquet",
                 "comparison.md", "configs/covid.yaml", "runs/covid/seed6/summary.json"):
        assert (out / name).exists(), name
    again = Ensemble.load(out)
    pd.testing.assert_frame_equal(again.comparison, covid.comparison)
    assert again.seeds == covid.seeds and again.areas == covid.areas
    pd.testing.assert_frame_equal(again.quantiles("price_m2", "target", paired=True),
                                  covid.quantiles("price_m2", "target", paired=True))
    res = again.results["covid"][0]
    assert res.baseline.config.scenario.name == "baseline"
    pd.testing.assert_frame_equal(res.territories, covid.results["covid"][0].territories)


def test_quantiles_select_levels_or_paired_differences(covid):
    level = covid.quantiles("population", "target")
    assert set(level["scenario"]) == {"baseline", "covid"}
    assert list(level.columns) == ["scenario", "indicator", "area", "year", "q10", "q50",
                                   "q90"]
    paired = covid.quantiles("population", "target", paired=True)
    assert set(paired["scenario"]) == {"covid"}
    with pytest.raises(ConfigError, match="statistic"):
        covid.quantiles(statistic="median")


@pytest.mark.parametrize(("kwargs", "message"), [
    (dict(scenarios=["baseline", "atlantis"]), "scenario: 'atlantis' is not allowed"),
    (dict(seeds=0), "seeds: 0 is not allowed"),
    (dict(seeds=[1, 1]), "seeds: [1, 1] is not allowed"),
    (dict(overrides=[*AREA, "scenario=covid"]), "the ensemble sets the scenario"),
    (dict(target="nowhere"), "target: 'nowhere' is not allowed"),
    (dict(workers=0), "workers: 0 is not allowed"),
    (dict(workers=cores() + 1), f"workers: {cores() + 1} is not allowed; allowed: null (the "
     f"cores) or 1 to {cores()}"),
    (dict(launcher="slurm"), "launcher: 'slurm' is not allowed"),
    (dict(scenarios=["zan_strict"], overrides=["territory.departements=[75]"]),
     "targets with at least one territory in the study area"),
])
def test_bad_input_fails_before_any_run(kwargs, message):
    args = {"scenarios": ["baseline", "covid"], "seeds": 2, "overrides": AREA, **kwargs}
    with pytest.raises(ConfigError) as err:
        Ensemble(args.pop("scenarios"), **args)
    assert message in str(err.value)


def test_local_workers_times_their_threads_never_exceed_the_cores():
    for name in ("joblib", "submitit_local"):
        for workers in (None, *range(1, cores() + 1)):
            launcher = Launcher(name, workers=workers)
            for jobs in (1, 2, 3, 20):
                assert launcher.parallel(jobs) * launcher.threads(jobs) <= cores()
    # on a cluster, workers are SLURM jobs of their own cpus_per_job
    assert Launcher("submitit_slurm", workers=cores() + 10, cpus_per_job=4).threads(50) == 4


def test_an_ensemble_can_keep_only_its_indicators():
    ens = Ensemble(["baseline", "covid"], seeds=1, workers=1, **TINY).run(
        progress=False, keep=False)
    assert set(ens.comparison["scenario"]) == {"baseline", "covid"}
    with pytest.raises(FileNotFoundError, match="keep=False"):
        _ = ens.results
