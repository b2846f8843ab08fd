"""Specification of what an ensemble reduces, by hand-computed examples: the yearly
indicators of a run over an area, the bands and paired differences over seeds, the
areas a comparison reports on, and the focus every run of a comparison shares. Every
expected number is worked out by hand in a comment."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import migrasim
from migrasim.config import load
from migrasim.experiments import focus
from migrasim.observation import areas, bands, yearly

# Three EPCI: A and B in département 12 (the target), C in 48; three months, the end of
# 2019 (2019-12) and a partial 2020 (2020-06).
COLUMNS = ["epci", "month", "population", "households", "dwellings", "vacancy", "price_m2",
           "rent_month", "displaced", "from_abroad", "to_abroad", "policy_cost_eur"]
TERRITORIES = pd.DataFrame([
    ("A", "2019-06", 200, 100, 110, 0.10, 1000, 500, 1, 2, 0, 10),
    ("B", "2019-06", 400, 200, 220, 0.10, 2000, 800, 0, 0, 0, 0),
    ("C", "2019-06", 100, 50, 60, 0.20, 500, 300, 0, 0, 0, 0),
    ("A", "2019-12", 210, 105, 120, 0.05, 1100, 550, 0, 0, 1, 10),
    ("B", "2019-12", 400, 200, 220, 0.10, 2200, 880, 3, 1, 0, 0),
    ("C", "2019-12", 100, 50, 60, 0.20, 500, 300, 0, 0, 0, 0),
    ("A", "2020-06", 220, 110, 120, 0.05, 1200, 600, 2, 1, 0, 20),
    ("B", "2020-06", 380, 190, 230, 0.20, 1800, 720, 0, 0, 2, 0),
    ("C", "2020-06", 100, 50, 60, 0.20, 500, 300, 0, 0, 0, 0),
], columns=COLUMNS)
FLOWS = pd.DataFrame([
    (2019, "A", "B", 5, 10, "retiree"),   # inside the target, within département 12
    (2019, "C", "A", 3, 6, "manager"),    # into the target, from 48
    (2019, "A", "C", 2, 4, "retiree"),    # out of the target, to 48
    (2020, "B", "C", 4, 8, "manager"),    # out of the target
    (2020, "C", "B", 1, 3, "manager"),    # into the target, from 48
    (2020, "B", "B", 7, 14, "retiree"),   # within B: not an arrival anywhere
], columns=["year", "origin", "destination", "households", "persons", "profile"])
COHORTS = pd.DataFrame([("A", 2019, 2019, 3), ("A", 2019, 2020, 2), ("B", 2019, 2020, 1),
                        ("C", 2019, 2020, 5)], columns=["epci", "cohort", "year", "households"])
RUN = SimpleNamespace(territories=TERRITORIES, flows=FLOWS, cohorts=COHORTS, area=SimpleNamespace(
    df=pd.DataFrame({"departement": ["12", "12", "48"]}, index=["A", "B", "C"])),
    config=SimpleNamespace(model=SimpleNamespace(profiles=["manager", "retiree"])))


def _values(codes) -> dict:
    frame = yearly.area(RUN, codes)
    return {(r.indicator, r.year): r.value for r in frame.itertuples()}


def test_yearly_stocks_prices_and_vacancy_over_an_area():
    v = _values(["A", "B"])
    assert v["population", 2019] == 610 and v["population", 2020] == 600  # 210 + 400, 220 + 380
    assert v["households", 2019] == 305 and v["households", 2020] == 300
    # first-month dwellings weigh the prices: A 110, B 220; start (1000·110 + 2000·220)/330
    # = 1,666.67; end of 2019 (1100·110 + 2200·220)/330 = 1,833.33 (+10 %); 2020-06 1,600
    assert v["price_m2", 2019] == pytest.approx(10.0)
    assert v["price_m2", 2020] == pytest.approx(-4.0)
    assert v["rent_month", 2019] == pytest.approx(770.0)   # (550·110 + 880·220) / 330
    assert v["rent_month", 2020] == pytest.approx(680.0)   # (600·110 + 720·220) / 330
    assert v["vacancy", 2019] == pytest.approx(28 / 340)   # (0.05·120 + 0.1·220) / 340
    assert v["vacancy", 2020] == pytest.approx(52 / 350)   # (0.05·120 + 0.2·230) / 350
    assert v["displaced", 2019] == 4 and v["displaced", 2020] == 2   # 1 + 3; 2


def test_yearly_flows_cross_the_edge_of_the_area_and_include_abroad():
    v = _values(["A", "B"])
    assert v["arrivals", 2019] == 6      # C→A 3, from abroad 2 + 1 (A→B stays inside)
    assert v["departures", 2019] == 3    # A→C 2, to abroad 1
    assert v["net_migration", 2019] == 3
    assert v["arrivals", 2020] == 2 and v["departures", 2020] == 6   # C→B 1 + 1; B→C 4 + 2
    assert v["newcomers_share", 2019] == pytest.approx(6 / 16)  # C→A 6 of A→B 10 + C→A 6
    assert v["newcomers_share", 2020] == 1.0                     # C→B; B→B is no arrival
    # by profile: moves between EPCI only (abroad has no profile)
    assert v["arrivals_manager", 2019] == 3 and v["arrivals_retiree", 2019] == 0
    assert v["departures_retiree", 2019] == 2 and v["departures_manager", 2020] == 4
    assert v["arrivals_manager", 2020] == 1
    national = _values(None)
    assert ("arrivals_manager", 2019) not in national
    assert national["arrivals", 2019] == 3 and national["departures", 2019] == 1  # abroad
    assert national["newcomers_share", 2019] == pytest.approx(0.5)  # (6 + 4) of 20


def test_yearly_policy_cost_and_newcomers_retained_when_the_run_has_them():
    v = _values(["A", "B"])
    assert v["policy_cost_eur", 2019] == 20 and v["policy_cost_eur", 2020] == 20
    assert v["retained_newcomers_1y", 2019] == 3   # cohort 2019 still there in 2020: A 2 + B 1
    assert ("retained_newcomers_3y", 2019) not in v   # the run ends before 2022
    plain = SimpleNamespace(territories=TERRITORIES.drop(columns="policy_cost_eur"),
                            flows=FLOWS, area=RUN.area, config=RUN.config)
    assert yearly.missing(plain) == ["policy_cost_eur", "retained_newcomers_1y",
                                     "retained_newcomers_3y", "retained_newcomers_5y"]
    assert set(yearly.area(plain, None)["indicator"]) == set(yearly.INDICATORS)


def _runs(reference: list, scenario: list, indicator: str = "x") -> pd.DataFrame:
    rows = [("ref", seed, "s", "target", indicator, 2020, value)
            for seed, value in zip((1, 2, 3), reference, strict=True)]
    rows += [("s", seed, "s", "target", indicator, 2020, value)
             for seed, value in zip((1, 2, 3), scenario, strict=True)]
    rows += [("ref", seed, "ref", "target", indicator, 2020, value)
             for seed, value in zip((1, 2, 3), reference, strict=True)]
    return pd.DataFrame(rows, columns=["scenario", "seed", "for_scenario", "area",
                                       "indicator", "year", "value"])


def test_bands_are_quantiles_over_seeds_of_levels_and_of_paired_differences():
    runs = _runs([10, 20, 30], [12, 25, 33])
    table = bands.comparison(runs, "ref").set_index("scenario")
    assert list(table.reset_index().columns) == bands.COLUMNS
    # levels 12, 25, 33: q10 = 12 + 0.2·13, q50 = 25, q90 = 25 + 0.8·8 (linear quantiles)
    assert table.loc["s", ["q10", "q50", "q90"]].tolist() == pytest.approx([14.6, 25, 31.4])
    # paired differences 2, 5, 3 → sorted 2, 3, 5: 2.2, 3, 4.6
    assert table.loc["s", ["diff_q10", "diff_q50", "diff_q90"]].tolist() == pytest.approx(
        [2.2, 3.0, 4.6])
    assert table.loc["ref", ["diff_q10", "diff_q50", "diff_q90"]].isna().all()
    # without pairing: seed i against the reference's next seed: 12-20, 25-30, 33-10
    assert bands.unpaired(runs, "s", "ref").tolist() == [-8, -5, 23]


def test_cost_ratios_pair_seeds_and_are_undefined_when_a_seed_gains_nothing():
    runs = pd.concat([_runs([0, 0, 0], [100, 100, 100], "policy_cost_eur"),
                      _runs([1, 1, 1], [3, 2, 5], "retained_newcomers_1y"),
                      _runs([5, 5, 5], [4, 5, 3], "displaced")])
    table = bands.comparison(runs, "ref").set_index(["scenario", "indicator"])
    # extra cost 100 a seed for 2, 1, 4 more retained: 50, 100, 25 → 30, 50, 90
    row = table.loc[("s", "cost_per_retained_newcomer_eur")]
    assert row[["diff_q10", "diff_q50", "diff_q90"]].tolist() == pytest.approx([30, 50, 90])
    assert np.isnan(row["q50"])
    # displacements avoided 1, 0, 2: seed 2 avoids none, so no ratio
    row = table.loc[("s", "cost_per_displacement_avoided_eur")]
    assert row[["diff_q10", "diff_q50", "diff_q90"]].isna().all()


def test_the_band_of_the_mean_narrows_as_one_over_the_square_root_of_seeds():
    values = np.arange(48, dtype=float) % 7       # a fixed spread of values
    few, many = bands.mean_band(values[:3]), bands.mean_band(values[:12])
    assert many[1] - many[0] < few[1] - few[0]
    wide = bands.mean_band(values)
    assert (wide[1] - wide[0]) == pytest.approx((many[1] - many[0]) / 2, rel=0.25)


def test_neighbours_are_the_first_ring_of_epci_around_the_target():
    area = migrasim.territories.load()
    petr = areas.focus_codes("petr_haut_rouergue", area)
    ring = area.df.loc[areas.neighbours(petr, area), "name"]
    assert set(ring) == {"CA Rodez Agglomération", "CC Aubrac Lot Causses Tarn",
                         "CC Cère et Goul en Carladès", "CC Conques-Marcillac",
                         "CC de Lévézou Pareloup", "CC du Pays de Salars"}
    assert areas.neighbours([], area) == []


def test_a_scenario_without_a_target_reports_on_the_others_targets():
    config = load(['territory.departements=["12","48"]', "scale=0.001"])
    area = migrasim.territories.study_area(config.territory)
    accueil = config.scenario.model_copy(update={"policies": [
        {"_target_": "migrasim.policies.AccueilMission", "group": "petr_haut_rouergue"}]})
    named = areas.comparison_areas({"remote50": config.scenario, "accueil": accueil}, area)
    petr = sorted(area.groups["petr_haut_rouergue"])
    assert named["accueil"]["target"] == named["remote50"]["target"] == petr
    assert named["accueil"]["neighbours"] == areas.neighbours(petr, area)


def test_a_comparison_has_one_focus_the_union_of_its_scenarios():
    groups = {"petr": ["1", "2"], "other": ["3"]}

    def scenario(f):
        return SimpleNamespace(focus=f)

    assert focus.comparison_focus([scenario(None), scenario(None)], groups) is None
    assert focus.comparison_focus([scenario("petr"), scenario(None)], groups) == "petr"
    assert focus.comparison_focus([scenario("petr"), scenario(["9", "1"])], groups) == \
        ["1", "2", "9"]
    assert focus.comparison_focus([scenario("petr"), scenario("other")], groups) == \
        ["1", "2", "3"]


def test_focus_overrides_set_the_territory_focus_of_every_run():
    groups = {"petr": ["1", "2"]}
    scenarios = [SimpleNamespace(focus="petr"), SimpleNamespace(focus=["7"])]
    assert focus.focus_overrides(scenarios, groups) == ['territory.focus=["1","2","7"]']
    assert focus.focus_overrides(scenarios[:1], groups) == ["territory.focus=petr"]
    assert focus.focus_overrides([SimpleNamespace(focus=None)], groups) == []


def test_maps_get_the_median_and_the_paired_difference_by_epci():
    epci = pd.DataFrame({"scenario": ["ref"] * 3 + ["s"] * 3, "seed": [1, 2, 3] * 2,
                         "epci": "A", "price_m2": [1.0, 2.0, 6.0, 2.0, 4.0, 7.0]})
    table = bands.by_epci(epci, ["ref", "s"], "ref").set_index("scenario")
    assert table.loc["s", "q50"] == 4.0                     # median of 2, 4, 7
    # paired differences 1, 2, 1 → sorted 1, 1, 2: q10 1, q50 1, q90 1 + 0.8·(2 − 1)
    assert table.loc["s", ["diff_q10", "diff_q50", "diff_q90"]].tolist() == pytest.approx(
        [1.0, 1.0, 1.8])
    assert table.loc["ref", ["diff_q10", "diff_q50", "diff_q90"]].isna().all()
