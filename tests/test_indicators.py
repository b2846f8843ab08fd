"""Specification of the indicators and of the records, by hand-computed examples.

Four made-up EPCI (codes shortened to letters, in code order as in the shipped tables),
two in Île-de-France and two in one département of Occitanie, fifteen months
(2019-01 .. 2020-03: a full year and a quarter) and a few moves. Every expected number
is written by hand, with its arithmetic in a comment; none is copied from a run. The
last tests check identities between the tables of a real small run.
"""

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from migrasim.experiments import Simulation
from migrasim.experiments.results import Results
from migrasim.model import SCHEDULE, MigrationModel
from migrasim.observation import indicators
from migrasim.observation.records import STOCK, Records, columns
from migrasim.submodels.market import HousingMarket
from migrasim.submodels.relocation import Relocation
from migrasim.territories import Territories

CODES = ["A", "B", "C", "D"]
AREA = Territories(pd.DataFrame({
    "name": ["Grand Paris", "Versailles", "Rodez", "Aubrac"],
    "departement": ["75", "78", "12", "12"],
    "region": ["11", "11", "76", "76"],  # 11: Île-de-France
    "hierarchy": ["paris", "large_urban", "medium", "small_rural"],
    "price_m2": [10_000.0, 4_000.0, 2_000.0, 1_000.0],
    "dwelling_m2": [60.0, 75.0, 80.0, 100.0],
    "income_month": [2_750.0, 2_500.0, 2_000.0, 1_250.0],
    "household_size": [2.0, 2.5, 3.0, 1.6],
    # on one meridian, 0.1° of latitude ≈ 11.1 km: A–B 11 km, C–D 56 km, D–A 389 km
    "lat": [48.0, 48.1, 44.0, 44.5], "lon": [2.0, 2.0, 2.0, 2.0],
}, index=pd.Index(CODES, name="code")), communes=pd.DataFrame(), groups={})

MONTHS = [f"2019-{m:02d}" for m in range(1, 13)] + ["2020-01", "2020-02", "2020-03"]

# Moves in persons (households × household size of the origin), as flows_table gives them,
# with the age class of the reference person and the reason of the move. D→A is two rows
# (two age classes): every indicator by place sums them.
FLOWS = pd.DataFrame([
    (2019, "A", "A", "from_30_to_44", "housing_family", 100.0),  # within the EPCI (and département)
    (2019, "A", "B", "under_30", "job_change", 200.0),      # within Île-de-France, 75 → 78
    (2019, "C", "D", "from_45_to_59", "housing_family", 300.0),  # within département 12
    (2019, "D", "A", "under_30", "job_change", 300.0),      # into Île-de-France (D→A 400
    (2019, "D", "A", "from_30_to_44", "displaced", 100.0),       # in all)
    (2019, "B", "C", "from_60_to_74", "telework", 250.0),        # out of Île-de-France
    (2019, "D", "C", "from_75", "displaced", 250.0),        # within département 12
    (2020, "B", "C", "under_30", "new_household", 50.0),    # out of Île-de-France, 2020-Q1
    (2020, "C", "C", "from_30_to_44", "failed_project", 250.0),  # within the EPCI
], columns=["year", "origin", "destination", "age_class", "reason", "persons"])
# persons a year: 2019: 100 + 200 + 300 + (300 + 100) + 250 + 250 = 1,500;
# 2020: 50 + 250 = 300; all: 1,800


def monthly(**columns: dict) -> pd.DataFrame:
    """A territories table (weighted, EPCI × month) whose column ``k`` holds
    ``columns[k][code]`` for EPCI ``code`` every month."""
    return pd.DataFrame([{"month": m, "epci": c, **{k: v[c] for k, v in columns.items()}}
                         for m in MONTHS for c in CODES])


def put(table: pd.DataFrame, month: str, column: str, **values: float) -> None:
    """Set ``column`` of the given EPCI (keywords) in ``month``."""
    for code, value in values.items():
        table.loc[(table["month"] == month) & (table["epci"] == code), column] = value


def run_table() -> pd.DataFrame:
    """The scenario's territories table."""
    zero = dict.fromkeys(CODES, 0.0)
    t = monthly(population={"A": 6_000.0, "B": 4_500.0, "C": 2_500.0, "D": 2_000.0},
                price_m2=AREA.df["price_m2"].to_dict(),
                dwellings={"A": 11_000.0, "B": 5_500.0, "C": 4_400.0, "D": 2_200.0},
                arrivals=zero, displaced=zero)
    # 2019: 15,000 persons every month; 2020: A 5,000, 6,000, 7,000 → 14,000, 15,000, 16,000
    for month, a in zip(MONTHS[12:], (5_000.0, 6_000.0, 7_000.0), strict=True):
        put(t, month, "population", A=a)
    put(t, "2020-03", "price_m2", A=11_000.0, B=4_000.0, C=2_100.0, D=900.0)
    put(t, "2019-01", "dwellings", A=10_000.0, B=5_000.0, C=4_000.0, D=2_000.0)  # the stock
    put(t, "2019-06", "arrivals", A=30.0)
    put(t, "2020-02", "arrivals", A=20.0)
    put(t, "2019-09", "arrivals", B=10.0)
    put(t, "2019-04", "arrivals", C=4.0)
    put(t, "2020-03", "arrivals", C=5.0)
    put(t, "2020-01", "arrivals", D=1.0)
    put(t, "2019-05", "displaced", A=3.0)
    put(t, "2020-03", "displaced", A=4.0)
    put(t, "2019-11", "displaced", C=2.0)
    put(t, "2020-02", "displaced", D=5.0)
    return t  # arrivals: A 50, B 10, C 9, D 1; displaced: A 7, B 0, C 2, D 5


def base_table() -> pd.DataFrame:
    """The comparison run's territories table: other prices, arrivals and displaced."""
    t = run_table()
    t["price_m2"] = t["epci"].map(AREA.df["price_m2"])
    t[["arrivals", "displaced"]] = 0.0
    put(t, "2020-03", "price_m2", A=8_800.0, B=5_000.0, C=2_000.0, D=900.0)
    put(t, "2019-06", "arrivals", A=30.0)
    put(t, "2019-09", "arrivals", B=5.0)
    put(t, "2019-04", "arrivals", C=4.0)
    put(t, "2019-05", "displaced", A=2.0)
    put(t, "2019-07", "displaced", B=1.0)
    put(t, "2019-11", "displaced", C=2.0)
    return t  # arrivals: A 30, B 5, C 4, D 0; displaced: A 2, B 1, C 2, D 0


# --- mobility and the flows indicators ------------------------------------------------

def test_mobility_is_persons_moving_a_year_over_the_mean_population_and_annualised():
    """A partial year counts its moves at the yearly pace of its simulated months."""
    rate = indicators.mobility(run_table(), FLOWS)
    assert rate.to_dict() == pytest.approx({
        2019: 10.0,  # 100 × 1,500 / 15,000
        2020: 8.0,   # 100 × (300 × 12 / 3) / mean(14,000, 15,000, 16,000)
    })


def test_a_year_without_any_move_has_a_mobility_rate_of_zero():
    """E.g. a tiny study area at a small scale whose last year has one simulated month."""
    rate = indicators.mobility(run_table(), FLOWS[FLOWS["year"] == 2019])
    assert rate.to_dict() == {2019: 10.0, 2020: 0.0}  # 2020: 0 persons moved


def test_within_departement_share_counts_moves_inside_an_epci():
    """Moves inside an EPCI stay in its département (INSEE's "two moves in three")."""
    share = indicators.within_departement_share(FLOWS, AREA)
    assert share == pytest.approx(0.5)  # (A→A 100 + C→D 300 + D→C 250 + C→C 250) / 1,800


def test_idf_net_migration_is_arrivals_from_other_regions_minus_departures_annualised():
    """Moves inside Île-de-France (A→B) and outside it (C→D) do not count."""
    net = indicators.idf_net_migration(FLOWS, AREA, run_table())
    assert net.to_dict() == pytest.approx({
        2019: 150.0,   # in D→A 400 − out B→C 250
        2020: -200.0,  # (0 − B→C 50) × 12 / 3 months
    })


def test_idf_net_migration_is_zero_in_a_year_without_moves_across_its_border():
    net = indicators.idf_net_migration(FLOWS[FLOWS["year"] == 2019], AREA, run_table())
    assert net.to_dict() == pytest.approx({2019: 150.0, 2020: 0.0})


def test_hierarchy_matrix_gives_shares_of_all_moves_by_class_of_origin_and_destination():
    """Rows are the origin's class, columns the destination's; within-EPCI moves count."""
    m = indicators.hierarchy_matrix(FLOWS, AREA)
    expected = {  # (origin class, destination class): persons / 1,800
        ("paris", "paris"): 100 / 1_800,               # A→A
        ("paris", "large_urban"): 200 / 1_800,         # A→B
        ("medium", "small_rural"): 300 / 1_800,        # C→D
        ("small_rural", "paris"): 400 / 1_800,         # D→A
        ("large_urban", "medium"): (250 + 50) / 1_800,  # B→C in 2019 and 2020
        ("small_rural", "medium"): 250 / 1_800,        # D→C
        ("medium", "medium"): 250 / 1_800,             # C→C
    }
    got = {(o, d): v for o, row in m.iterrows() for d, v in row.items() if v != 0}
    assert got == pytest.approx(expected)
    assert m.loc["paris", "small_rural"] == 0.0  # the reverse of D→A


def test_newcomers_share_is_the_share_of_arrivals_from_another_departement():
    """Arrivals are moves from another EPCI: C's own within-EPCI moves are not arrivals."""
    share = indicators.newcomers_share(FLOWS, AREA)
    assert share.to_dict() == pytest.approx({
        "A": 1.0,              # D→A 400 from département 12 into 75
        "B": 1.0,              # A→B 200 from 75 into 78
        "C": 300 / (300 + 250),  # B→C 250 + 50 from 78; D→C 250 from 12 itself
        "D": 0.0,              # C→D 300 from 12 itself
    })


def test_newcomers_share_is_zero_where_nobody_arrived():
    share = indicators.newcomers_share(FLOWS[FLOWS["destination"] != "B"], AREA)
    assert share["B"] == 0.0


# --- destabilisation ------------------------------------------------------------------

def test_destabilisation_measures_at_the_end_of_the_run_against_the_comparison_run():
    """Prices at the last month; displaced and arrivals summed over the run; the extra
    arrivals as % of the first month's dwellings; the elasticity only above 0.1 %."""
    got = indicators.destabilisation(run_table(), base_table(), AREA)
    expected = pd.DataFrame({
        "name": ["Grand Paris", "Versailles", "Rodez", "Aubrac"],
        # 100 × (price 2020-03 / initial price − 1): 11,000/10,000, 4,000/4,000, ...
        "price_change_pct": [10.0, 0.0, 5.0, -10.0],
        # price 2020-03 × m² / (12 × income): 11,000×60/33,000, 4,000×75/30,000,
        # 2,100×80/24,000, 900×100/15,000
        "price_to_income_years": [20.0, 10.0, 7.0, 6.0],
        "displaced": [7.0, 0.0, 2.0, 5.0],  # A: 3 + 4
        "arrivals": [50.0, 10.0, 9.0, 1.0],  # A: 30 + 20; C: 4 + 5
        # 100 × (price / comparison's price − 1): 11,000/8,800, 4,000/5,000, 2,100/2,000
        "price_vs_baseline_pct": [25.0, -20.0, 5.0, 0.0],
        # 100 × (arrivals − comparison's) / dwellings of 2019-01: 20/10,000, 5/5,000,
        # 5/4,000, 1/2,000
        "extra_arrivals_pct_stock": [0.2, 0.1, 0.125, 0.05],
        # price_vs_baseline / extra where extra > 0.1: 25/0.2, B at 0.1 exactly, 5/0.125
        "small_flows_elasticity": [125.0, np.nan, 40.0, np.nan],
        "displaced_vs_baseline": [5.0, -1.0, 0.0, 5.0],  # 7 − 2, 0 − 1, 2 − 2, 5 − 0
    }, index=pd.Index(CODES, name="code"))
    pd.testing.assert_frame_equal(got, expected, rtol=1e-9)


def test_without_a_comparison_run_only_the_run_own_measures_are_given():
    got = indicators.destabilisation(run_table(), None, AREA)
    assert list(got.columns) == ["name", "price_change_pct", "price_to_income_years",
                                 "displaced", "arrivals"]
    assert got["price_change_pct"].tolist() == pytest.approx([10.0, 0.0, 5.0, -10.0])


def test_the_elasticity_belongs_to_its_epci_whatever_the_order_of_the_study_area():
    """The shipped tables are sorted by code; a Territories built otherwise is not."""
    reordered = Territories(AREA.df.iloc[::-1], AREA.communes, AREA.groups)
    got = indicators.destabilisation(run_table(), base_table(), reordered)
    assert got.loc["A", "small_flows_elasticity"] == pytest.approx(125.0)  # 25 / 0.2
    assert got.loc["C", "small_flows_elasticity"] == pytest.approx(40.0)   # 5 / 0.125
    assert got.loc[["B", "D"], "small_flows_elasticity"].isna().all()


# --- summary --------------------------------------------------------------------------

def _destab(base: pd.DataFrame | None) -> pd.DataFrame:
    """As Results.destabilisation: the measures plus the newcomers' share."""
    d = indicators.destabilisation(run_table(), base, AREA)
    d["newcomers_share"] = indicators.newcomers_share(FLOWS, AREA)
    return d



# The whole summary of the run against its comparison run, written by hand.
SUMMARY = {
    "moves_per_year_pct_population": {2019: 10.0, 2020: 8.0},
    "within_departement_share": 0.5,
    "within_epci_share": 0.1944,  # (A→A 100 + C→C 250) / 1,800 = 0.19444
    "idf_net_migration_per_year": {2019: 150, 2020: -200},
    "moves_by_hierarchy_share": {  # persons / 1,800, as in the hierarchy matrix test
        "paris": {"paris": 0.0556, "large_urban": 0.1111, "medium": 0.0, "small_rural": 0.0},
        "large_urban": {"paris": 0.0, "large_urban": 0.0, "medium": 0.1667, "small_rural": 0.0},
        "medium": {"paris": 0.0, "large_urban": 0.0, "medium": 0.1389, "small_rural": 0.1667},
        "small_rural": {"paris": 0.2222, "large_urban": 0.0, "medium": 0.1389,
                        "small_rural": 0.0},
    },
    # as in the tests of population, distance bands and price index below
    "population_by_region_per_year": {"11": {2019: 10_500, 2020: 11_500},
                                      "76": {2019: 4_500, 2020: 4_500}},
    "moves_by_distance_band_share": {
        2019: {"within_epci": 0.0667, "under_20km": 0.1333, "20_to_100km": 0.3667,
               "over_100km": 0.4333},
        2020: {"within_epci": 0.8333, "under_20km": 0.0, "20_to_100km": 0.0,
               "over_100km": 0.1667}},
    "long_moves_by_age_share": {  # as in the test of long moves by age below
        2019: {"under_30": 0.4615, "from_30_to_44": 0.1538, "from_45_to_59": 0.0,
               "from_60_to_74": 0.3846,
               "from_75": 0.0},  # 300 / 650 = 0.46154, 100 / 650 = 0.15385, 250 / 650
        2020: {"under_30": 1.0, "from_30_to_44": 0.0, "from_45_to_59": 0.0, "from_60_to_74": 0.0,
               "from_75": 0.0}},
    "moves_by_reason_share": {  # as in the test of moves by reason below
        2019: {"housing_family": 0.2667, "displaced": 0.2333, "failed_project": 0.0,
               "job_change": 0.3333, "telework": 0.1667, "new_household": 0.0},
        # 400, 350, 0, 500, 250 / 1,500
        2020: {"housing_family": 0.0, "displaced": 0.0, "failed_project": 0.8333,
               "job_change": 0.0, "telework": 0.0, "new_household": 0.1667}},
        # 250 and 50 / 300
    "price_index_by_region_per_year": {"11": {2019: 100.0, 2020: 102.778},
                                       "76": {2019: 100.0, 2020: 100.667},
                                       "FR": {2019: 100.0, 2020: 102.615}},
    "most_destabilised": [  # by price_vs_baseline_pct: A 25 > C 5 > D 0 (> B −20, cut)
        {"epci": "A", "name": "Grand Paris", "price_change_pct": 10.0,
         "price_to_income_years": 20.0, "displaced": 7.0, "arrivals": 50.0,
         "price_vs_baseline_pct": 25.0, "extra_arrivals_pct_stock": 0.2,
         "small_flows_elasticity": 125.0, "displaced_vs_baseline": 5.0,
         "newcomers_share": 1.0},
        {"epci": "C", "name": "Rodez", "price_change_pct": 5.0,
         "price_to_income_years": 7.0, "displaced": 2.0, "arrivals": 9.0,
         "price_vs_baseline_pct": 5.0, "extra_arrivals_pct_stock": 0.125,
         "small_flows_elasticity": 40.0, "displaced_vs_baseline": 0.0,
         "newcomers_share": 0.545},  # 300 / 550 = 0.54545
        {"epci": "D", "name": "Aubrac", "price_change_pct": -10.0,
         "price_to_income_years": 6.0, "displaced": 5.0, "arrivals": 1.0,
         "price_vs_baseline_pct": 0.0, "extra_arrivals_pct_stock": 0.05,
         "small_flows_elasticity": None, "displaced_vs_baseline": 5.0,
         "newcomers_share": 0.0},
    ],
    "ranked_by": "price_vs_baseline_pct",
}


def test_summary_gathers_the_headline_figures_rounded_and_the_most_destabilised_epci():
    """Rates to 3 decimals, shares to 4, net migration to whole persons; the EPCI ranked
    by their price against the comparison run, a missing measure as None."""
    s = indicators.summary(run_table(), FLOWS, AREA, _destab(base_table()), top=3)
    assert s == SUMMARY


def test_summary_is_strict_json():
    """summary.json must be readable by any JSON parser: no NaN."""
    s = indicators.summary(run_table(), FLOWS, AREA, _destab(base_table()))
    assert [e["epci"] for e in s["most_destabilised"]] == ["A", "C", "D", "B"]
    assert s["most_destabilised"][3]["small_flows_elasticity"] is None  # B: extra = 0.1
    json.dumps(s, allow_nan=False)  # raises ValueError on a NaN


def test_summary_without_a_comparison_run_ranks_by_the_price_change():
    s = indicators.summary(run_table(), FLOWS, AREA, _destab(None), top=3)
    assert s["ranked_by"] == "price_change_pct"
    # price_change_pct: A 10 > C 5 > B 0 > D −10 (cut)
    assert [e["epci"] for e in s["most_destabilised"]] == ["A", "C", "B"]
    assert s["most_destabilised"][2] == {
        "epci": "B", "name": "Versailles", "price_change_pct": 0.0,
        "price_to_income_years": 10.0, "displaced": 0.0, "arrivals": 10.0,
        "newcomers_share": 1.0}


# --- records --------------------------------------------------------------------------

SCALE = 0.004  # one simulated household stands for 1 / 0.004 = 250 real ones
PROFILES = ["manager", "retiree"]


def recorded(rows: list[dict], flow_keys: dict,
             flow_weights: dict | None = None) -> tuple[Records, SimpleNamespace]:
    """Records filled by hand (moves of weight 1 unless ``flow_weights``), and the little
    of a model its tables read."""
    rec = Records()
    rec.rows, rec.flow_keys = rows, flow_keys
    rec.flow_weights = flow_weights or {year: [np.ones(k.size) for k in keys]
                                        for year, keys in flow_keys.items()}
    rec.columns = {r.name: r for r in (*STOCK, *Relocation.results, *HousingMarket.results)}
    no_trend = SimpleNamespace(model=SimpleNamespace(  # persons per household held fixed
        demography=SimpleNamespace(household_size_trend=0.0)))  # (the trend: test below)
    return rec, SimpleNamespace(scale=SCALE, profiles=PROFILES, territories=AREA,
                                config=no_trend, start_month=2019 * 12)


def row(month: int, **columns: list) -> dict[str, np.ndarray]:
    return {"month": np.full(4, month), **{k: np.array(v) for k, v in columns.items()}}


ROWS = [  # simulated households (integers), shares and prices, in territory order A..D
    row(24_239,  # 2019 × 12 + 12 − 1: 2019-12
        households=[10, 8, 4, 5], households_manager=[6, 3, 1, 0],
        households_retiree=[4, 5, 3, 5], dwellings=[12, 9, 5, 6],
        vacancy=[1 / 12, 0.0, 0.2, 1 / 6], arrivals=[1, 0, 2, 0], displaced=[0, 0, 1, 0],
        price_m2=[10_000.0, 4_000.0, 2_000.0, 1_000.0],
        rent_month=[1_200.0, 900.0, 600.0, 400.0]),
    row(24_240,  # 2020-01
        households=[9, 9, 4, 5], households_manager=[5, 4, 1, 0],
        households_retiree=[4, 5, 3, 5], dwellings=[12, 9, 5, 6],
        vacancy=[1 / 12, 0.0, 0.2, 1 / 6], arrivals=[0, 1, 0, 0], displaced=[0, 0, 0, 0],
        price_m2=[10_100.0, 4_000.0, 2_010.0, 990.0],
        rent_month=[1_206.0, 900.0, 603.0, 398.0]),
]


def test_territories_table_weights_counts_by_one_over_scale_and_nothing_else():
    """Households, dwellings and household results × 250; shares and prices as they
    are; population = weighted households × the EPCI's household size."""
    rec, model = recorded(ROWS, {})
    got = rec.territories_table(model)
    expected = pd.DataFrame({
        "month": ["2019-12"] * 4 + ["2020-01"] * 4,
        "epci": CODES * 2,
        # households × 250 × size: 10×250×2.0, 8×250×2.5, 4×250×3.0, 5×250×1.6, 9×250×2.0,
        # 9×250×2.5, ...
        "population": [5_000.0, 5_000.0, 3_000.0, 2_000.0, 4_500.0, 5_625.0, 3_000.0, 2_000.0],
        "households": [2_500.0, 2_000.0, 1_000.0, 1_250.0, 2_250.0, 2_250.0, 1_000.0, 1_250.0],
        "households_manager": [1_500.0, 750.0, 250.0, 0.0, 1_250.0, 1_000.0, 250.0, 0.0],
        "households_retiree": [1_000.0, 1_250.0, 750.0, 1_250.0] * 2,
        "dwellings": [3_000.0, 2_250.0, 1_250.0, 1_500.0] * 2,
        "vacancy": [1 / 12, 0.0, 0.2, 1 / 6] * 2,
        "arrivals": [250.0, 0.0, 500.0, 0.0, 0.0, 250.0, 0.0, 0.0],
        "displaced": [0.0, 0.0, 250.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        "price_m2": [10_000.0, 4_000.0, 2_000.0, 1_000.0, 10_100.0, 4_000.0, 2_010.0, 990.0],
        "rent_month": [1_200.0, 900.0, 600.0, 400.0, 1_206.0, 900.0, 603.0, 398.0],
    })
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_flows_table_decodes_the_keys_and_weights_persons_by_the_origin_household_size():
    """A key is ((((origin × n + destination) × profiles + profile) × age classes + age
    class) × reasons + reason), n = 4 EPCI, 2 profiles, 5 age classes, 8 reasons; each
    simulated move stands for 250 households of the origin's size."""
    # A→B, manager, under 30 (class 0): ((0 × 4 + 1) × 2 + 0) × 5 + 0 = 10
    a_b_young_job = 10 * 8 + 4          # job change (4): 84
    a_b_young_family = 10 * 8 + 1       # housing or family (1): 81
    # D→A, retiree, 60 to 74 (class 3), displaced (2): ((3 × 4 + 0) × 2 + 1) × 5 + 3 = 128
    d_a_old_displaced = 128 * 8 + 2     # 1,026
    # B→D, manager, 30 to 44 (class 1), telework (5): ((1 × 4 + 3) × 2 + 0) × 5 + 1 = 71
    b_d_telework = 71 * 8 + 5           # 573
    # C→C, retiree, 75 and over (class 4), failed project (3): ((2 × 4 + 2) × 2 + 1) × 5
    # + 4 = 109
    c_c_failed = 109 * 8 + 3            # 875
    rec, model = recorded(ROWS, {
        2019: [np.array([a_b_young_job, d_a_old_displaced]),  # two months
               np.array([a_b_young_job, a_b_young_family])],
        2020: [np.array([c_c_failed, b_d_telework, b_d_telework])],
    })
    got = rec.flows_table(model)
    expected = pd.DataFrame([
        # 1 × 250; × 2.0 (A), not 2.5 (B); the same pair, another reason: another row
        (2019, "A", "B", "manager", "under_30", "housing_family", 250.0, 500.0),
        (2019, "A", "B", "manager", "under_30", "job_change", 500.0, 1_000.0),  # 2 × 250
        (2019, "D", "A", "retiree", "from_60_to_74", "displaced", 250.0, 400.0),  # × 1.6 (D)
        # 2 × 250; × 2.5 (B), not 1.6 (D)
        (2020, "B", "D", "manager", "from_30_to_44", "telework", 500.0, 1_250.0),
        (2020, "C", "C", "retiree", "from_75", "failed_project", 250.0, 750.0),  # × 3.0 (C)
    ], columns=["year", "origin", "destination", "profile", "age_class", "reason",
                "households", "persons"])
    order = ["year", "origin", "destination", "profile", "age_class", "reason"]
    pd.testing.assert_frame_equal(got.sort_values(order).reset_index(drop=True), expected,
                                  check_dtype=False)


def test_flows_count_each_move_by_the_weight_of_its_household():
    """A household of a focus area weighs a fraction of a base unit (docs/focus.md): two
    moves of weight 0.01 and one of 1 on the same row are 1.02 × 250 households."""
    a_b_young_job = 10 * 8 + 4
    rec, model = recorded(ROWS, {2019: [np.array([a_b_young_job] * 3)]},
                          {2019: [np.array([0.01, 1.0, 0.01])]})
    got = rec.flows_table(model)
    assert got["households"].tolist() == pytest.approx([1.02 * 250])
    assert got["persons"].tolist() == pytest.approx([1.02 * 250 * 2.0])


# --- newcomers' retention ---------------------------------------------------------------

def test_retention_is_the_cohort_still_there_over_the_arrivals_of_its_year():
    """Arrivals count moves from another EPCI and from abroad. A: 2019 arrivals 30 + 10
    from abroad = 40; 36 still there at the end of 2019 (0.9), 30 at the end of 2020
    (0.75); 2020 (a quarter simulated): 20 arrivals, 15 still there (0.75). B alone:
    10 arrivals in 2019, 5 still there, then 2. Both: 40 + 10 = 50 arrive in 2019,
    36 + 5 = 41 stay the year (0.82), 30 + 2 = 32 the next (0.64)."""
    zero = dict.fromkeys(CODES, 0.0)
    t = monthly(arrivals=zero, from_abroad=zero)
    put(t, "2019-06", "arrivals", A=30.0)
    put(t, "2019-08", "from_abroad", A=10.0)
    put(t, "2019-09", "arrivals", B=10.0)
    put(t, "2020-02", "arrivals", A=20.0)
    cohorts = pd.DataFrame([(2019, "A", 2019, 36.0), (2020, "A", 2019, 30.0),
                            (2020, "A", 2020, 15.0), (2019, "B", 2019, 5.0),
                            (2020, "B", 2019, 2.0)],
                           columns=["year", "epci", "cohort", "households"])
    a = indicators.retention(cohorts, t, ["A"])
    assert a.values.tolist() == [[2019, 0, 40.0, 36.0, 0.9], [2019, 1, 40.0, 30.0, 0.75],
                                 [2020, 0, 20.0, 15.0, 0.75]]
    b = indicators.retention(cohorts, t, ["B"]).set_index(["cohort", "years"])
    assert b["retention"].tolist() == [0.5, 0.2]
    both = indicators.retention(cohorts, t).set_index(["cohort", "years"])
    assert both.loc[(2019, 0)].tolist() == [50.0, 41.0, 0.82]
    assert both.loc[(2019, 1)].tolist() == [50.0, 32.0, 0.64]


def test_cohorts_are_the_households_living_where_they_arrived_each_december():
    """The households' own state says who is in a cohort: alive, back to zero months since
    arrival during the run (an arrival, or forming a household), and come from elsewhere
    (a previous territory other than home, or none: from abroad); a household formed in
    its parental home's EPCI has that EPCI as origin and is in no cohort. Its cohort is
    the year of that month. The recorded table is that count, December after December,
    and never more than a year's arrivals."""
    m = MigrationModel("baseline", scale=0.01, months=26, seed=3, collect=False,
                       overrides=['territory.departements=["12","48","15"]'])
    hh, codes, elapsed = m.households, m.territories.codes, 0
    # an initial household that had just arrived would look like one arriving in the
    # first month: let the initial population have arrived at least a month before
    np.maximum(hh.months_since_arrival, 1, out=hh.months_since_arrival)
    while m.running:
        m.step()
        elapsed += 1
        if (m.month - 1) % 12 != 11:
            continue
        since = hh.months_since_arrival - 1  # ageing has counted the month just recorded
        came = hh.alive & (since < elapsed) & (hh.origin != hh.home)
        cohort = ((m.month - 1 - since[came]) // 12).astype(np.int64)
        expected = (pd.DataFrame({"epci": codes[hh.home[came]], "cohort": cohort})
                    .value_counts().sort_index() / m.scale)
        table = m.submodels.records.cohorts_table(m)
        got = table[table["year"] == (m.month - 1) // 12].set_index(["epci", "cohort"])
        pd.testing.assert_series_equal(got["households"], expected, check_names=False)
        assert expected.sum() > 0
    res = Results.from_model(m)
    share = indicators.retention(res.cohorts, res.territories)
    assert (share.loc[share["years"] == 0, "retention"] < 1).all()
    assert (share.groupby("cohort")["households"].diff().dropna() <= 0).all()


# --- a real small run: the tables and the summary agree ----------------------------------

@pytest.fixture(scope="module")
def res():
    """COVID against the baseline, 14 months from 2019-01 at 1:500 (about 2 s)."""
    return Simulation("covid", scale=0.002, months=14).run(progress=False)


def _year(table: pd.DataFrame) -> pd.Series:
    return table["month"].str[:4].astype(int)


def test_a_run_records_every_epci_every_month_and_its_moves_by_calendar_year(res):
    months = [f"2019-{m:02d}" for m in range(1, 13)] + ["2020-01", "2020-02"]  # 14 months
    t, n = res.territories, len(res.area)
    assert t["month"].unique().tolist() == months
    assert (t.groupby("month")["epci"].apply(list) == [list(res.area.codes)] * 14).all()
    assert len(t) == 14 * n
    assert sorted(res.flows["year"].unique()) == [2019, 2020]


def test_flows_add_up_to_the_arrivals_departures_and_internal_moves_of_each_year(res):
    """Both tables record the same moves: by destination, by origin, and within."""
    t = res.territories.assign(year=_year(res.territories)).set_index(["year", "epci"])
    f = res.flows
    moved, within = f[f["origin"] != f["destination"]], f[f["origin"] == f["destination"]]
    for column, flows, end in (("arrivals", moved, "destination"),
                               ("departures", moved, "origin"),
                               ("internal_moves", within, "origin")):
        counted = t.groupby(level=["year", "epci"])[column].sum()
        from_flows = flows.groupby(["year", end])["households"].sum()
        from_flows = from_flows.rename_axis(["year", "epci"]).reindex(counted.index,
                                                                      fill_value=0.0)
        assert counted.sum() > 0, column
        np.testing.assert_allclose(from_flows.to_numpy(), counted.to_numpy(), err_msg=column)


def test_persons_are_households_times_the_household_size_of_the_origin_and_home(res):
    """A moving household counts the household size of its origin; a new household
    counts the one person who leaves (a young adult, a separated partner)."""
    size = res.area.df["household_size"]
    assert size.nunique() > 1  # else origin and destination sizes could not be told apart
    f, t = res.flows, res.territories
    new = f["reason"] == "new_household"
    assert new.any() and (~new).any()
    # persons per household follow the size trend: mid-year for flows, each month's end
    trend = 1.0 + res.config.model.demography.household_size_trend
    assert trend < 1.0
    start = int(res.config.start[:4])
    np.testing.assert_allclose(f["persons"], f["households"] * np.where(
        new, 1.0, f["origin"].map(size)) * trend ** (f["year"] + 0.5 - start))
    months = t["month"].map(lambda m: (int(m[:4]) - start) * 12 + int(m[5:]) - 1)
    np.testing.assert_allclose(t["population"], t["households"] * t["epci"].map(size)
                               * trend ** (months / 12))


def test_counts_are_whole_simulated_households_times_one_over_scale_and_prices_are_not(res):
    t, f = res.territories, res.flows
    counts = [c for c in t.columns if c.startswith("households")] + [
        "dwellings", "wanted_arrivals", "unmet_demand", "arrivals", "departures",
        "internal_moves", "displaced"]
    simulated = t[counts].to_numpy() * 0.002
    np.testing.assert_allclose(simulated, np.round(simulated), atol=1e-6)
    flows = f["households"].to_numpy() * 0.002
    np.testing.assert_allclose(flows, np.round(flows), atol=1e-6)
    assert flows.min() >= 1.0  # only pairs with a move are listed
    first = t[t["month"] == "2019-01"].set_index("epci")
    ratio = first["price_m2"] / res.area.df["price_m2"]
    # the local component moves by ±1.5 % in log a month at most; the national one by a
    # small step toward its target (a month of income growth: well under 0.1 %)
    assert ratio.between(np.exp(-0.015) / 1.001, np.exp(0.015) * 1.001).all()
    assert t["vacancy"].between(0.0, 1.0).all()


def test_summary_figures_are_the_indicators_recomputed_from_the_tables(res):
    t, f, area, s = res.territories, res.flows, res.area.df, res.summary
    year = _year(t)
    months = {2019: 12, 2020: 2}
    population = t.groupby([year, t["month"]])["population"].sum().groupby(level=0).mean()
    persons = f.groupby("year")["persons"].sum()
    for y, n in months.items():
        rate = 100 * persons[y] * 12 / n / population[y]
        assert s["moves_per_year_pct_population"][y] == pytest.approx(rate, abs=5e-4)
        assert 2 < rate < 30  # INSEE: about 10 % a year
    dep, region = f["origin"].map(area["departement"]), f["origin"].map(area["region"])
    dep_d, region_d = f["destination"].map(area["departement"]), f["destination"].map(
        area["region"])
    total = f["persons"].sum()
    assert s["within_epci_share"] == pytest.approx(
        f.loc[f["origin"] == f["destination"], "persons"].sum() / total, abs=5e-5)
    assert s["within_departement_share"] == pytest.approx(
        f.loc[dep == dep_d, "persons"].sum() / total, abs=5e-5)
    for y, n in months.items():
        inn = f.loc[(f["year"] == y) & (region_d == "11") & (region != "11"), "persons"].sum()
        out = f.loc[(f["year"] == y) & (region == "11") & (region_d != "11"), "persons"].sum()
        assert s["idf_net_migration_per_year"][y] == pytest.approx((inn - out) * 12 / n,
                                                                   abs=0.5)
    # price against the comparison run, from both runs' last month
    last = "2020-02"
    price = t[t["month"] == last].set_index("epci")["price_m2"]
    base = res.baseline.territories
    versus = 100 * (price / base[base["month"] == last].set_index("epci")["price_m2"] - 1)
    top = s["most_destabilised"]
    assert s["ranked_by"] == "price_vs_baseline_pct" and len(top) == 10
    assert [e["epci"] for e in top] == versus.sort_values(ascending=False).index[:10].tolist()
    for e in top:
        code = e["epci"]
        assert e["price_vs_baseline_pct"] == pytest.approx(versus[code], abs=5e-4)
        assert e["arrivals"] == pytest.approx(t.loc[t["epci"] == code, "arrivals"].sum())
        arrived = f[(f["destination"] == code) & (f["origin"] != code)]
        outside = arrived["origin"].map(area["departement"]) != area.loc[code, "departement"]
        share = arrived.loc[outside, "persons"].sum() / max(arrived["persons"].sum(), 1e-9)
        assert e["newcomers_share"] == pytest.approx(share, abs=5e-4)


def test_summary_shares_by_reason_and_by_age_are_the_flows_table_s(res):
    """Recomputed from the flows table with the distances of the study area; moves from
    abroad are not in the flows table (their origin is outside it), so their share is 0."""
    f, s = res.flows, res.summary
    assert set(f["reason"]) <= {"housing_family", "displaced", "failed_project", "job_change",
                                "telework", "new_household"}
    codes = {c: i for i, c in enumerate(res.area.codes)}
    km = res.area.distance_km[f["origin"].map(codes), f["destination"].map(codes)]
    for y in (2019, 2020):
        year = f[f["year"] == y]
        by_reason = year.groupby("reason")["persons"].sum() / year["persons"].sum()
        assert sum(s["moves_by_reason_share"][y].values()) == pytest.approx(1.0, abs=5e-4)
        for reason, share in s["moves_by_reason_share"][y].items():
            assert share == pytest.approx(by_reason.get(reason, 0.0), abs=5e-5), reason
        long = f[(f["year"] == y) & (km > 100.0)]
        assert len(long) > 0
        by_age = long.groupby("age_class")["persons"].sum() / long["persons"].sum()
        for age, share in s["long_moves_by_age_share"][y].items():
            assert share == pytest.approx(by_age.get(age, 0.0), abs=5e-5), age


# --- population, distance bands and the price index by région -------------------------

def test_population_by_region_is_counted_at_the_end_of_each_year():
    """The year's last simulated month: December 2019, March 2020 (a partial year)."""
    assert indicators.population_by_region(run_table(), AREA) == {
        "11": {2019: 10_500.0,   # A 6,000 + B 4,500
               2020: 11_500.0},  # A 7,000 in March + B 4,500
        "76": {2019: 4_500.0, 2020: 4_500.0}}  # C 2,500 + D 2,000


def test_moves_are_shared_by_distance_between_the_centroids_of_origin_and_destination():
    bands = indicators.moves_by_distance_band(FLOWS, AREA)
    # 2019 (1,500 persons): within A 100; under 20 km A→B 200; 20–100 km C→D 300 + D→C 250;
    # over 100 km D→A 400 + B→C 250
    assert bands.loc[2019].to_dict() == pytest.approx({
        "within_epci": 100 / 1500, "under_20km": 200 / 1500, "20_to_100km": 550 / 1500,
        "over_100km": 650 / 1500})
    # 2020 (300): within C 250, B→C 50 over 100 km; no move in the other bands
    assert bands.loc[2020].to_dict() == pytest.approx({
        "within_epci": 250 / 300, "under_20km": 0.0, "20_to_100km": 0.0,
        "over_100km": 50 / 300})


def test_long_moves_are_shared_by_the_age_class_of_the_reference_person():
    """Only moves of more than 100 km between centroids count, each year on its own."""
    shares = indicators.long_moves_by_age(FLOWS, AREA)
    assert shares.columns.tolist() == ["under_30", "from_30_to_44", "from_45_to_59",
                                       "from_60_to_74",
                                       "from_75"]
    assert shares.index.tolist() == [2019, 2020]
    # 2019 over 100 km (650 persons): D→A 389 km, 300 under 30 and 100 aged 30–44; B→C
    # 455 km, 250 aged 60–74. A→B 11 km, C→D and D→C 56 km, A→A 0 km do not count: no
    # long move at 45–59 (C→D) nor 75+ (D→C)
    assert shares.loc[2019].to_dict() == pytest.approx({
        "under_30": 300 / 650, "from_30_to_44": 100 / 650, "from_45_to_59": 0.0,
        "from_60_to_74": 250 / 650, "from_75": 0.0})
    # 2020: B→C 50 under 30 is the only long move (C→C 250 is within the EPCI)
    assert shares.loc[2020].to_dict() == pytest.approx({
        "under_30": 1.0, "from_30_to_44": 0.0, "from_45_to_59": 0.0, "from_60_to_74": 0.0,
        "from_75": 0.0})


def test_long_moves_by_age_takes_its_threshold_in_km():
    """Over 20 km, the 56 km moves inside département 12 are long too."""
    shares = indicators.long_moves_by_age(FLOWS, AREA, km=20.0)
    # 2019 (1,200 persons): D→A 300 + 100, B→C 250, C→D 300, D→C 250; A→B 11 km is not
    assert shares.loc[2019].to_dict() == pytest.approx({
        "under_30": 300 / 1_200, "from_30_to_44": 100 / 1_200, "from_45_to_59": 300 / 1_200,
        "from_60_to_74": 250 / 1_200, "from_75": 250 / 1_200})


def test_a_year_with_moves_but_no_long_move_has_shares_of_zero_not_nan():
    """summary.json must stay strict JSON."""
    shares = indicators.long_moves_by_age(FLOWS[FLOWS["persons"] != 50.0], AREA)  # no B→C
    assert shares.loc[2020].tolist() == [0.0] * 5  # 2020: only C→C 250, within the EPCI


def test_moves_are_shared_by_reason_each_year():
    """Every move counts whatever its distance; the columns are the reasons to move, in
    their order, not "stay" nor "from_abroad" (an arrival from abroad is not a move within
    the area); a reason without a move has a share of zero."""
    shares = indicators.moves_by_reason(FLOWS)
    assert shares.columns.tolist() == ["housing_family", "displaced", "failed_project",
                                       "job_change", "telework", "new_household"]
    # 2019 (1,500 persons): housing or family A→A 100 + C→D 300; displaced D→A 100 +
    # D→C 250; job change A→B 200 + D→A 300; telework B→C 250
    assert shares.loc[2019].to_dict() == pytest.approx({
        "housing_family": 400 / 1_500, "displaced": 350 / 1_500, "failed_project": 0.0,
        "job_change": 500 / 1_500, "telework": 250 / 1_500, "new_household": 0.0})
    # 2020 (300): a failed project C→C 250, a new household B→C 50
    assert shares.loc[2020].to_dict() == pytest.approx({
        "housing_family": 0.0, "displaced": 0.0, "failed_project": 250 / 300,
        "job_change": 0.0, "telework": 0.0, "new_household": 50 / 300})


def test_the_price_index_weights_prices_by_the_initial_dwellings_with_2019_at_100():
    index = indicators.price_index_by_region(run_table(), AREA)
    # région 11, weights A 11,000 and B 5,500 dwellings: 2019 (10,000·11,000 + 4,000·5,500)
    # / 16,500 = 8,000 every month; 2020: 8,000, 8,000 and, with A at 11,000 in March,
    # 143e6 / 16,500 = 8,666.67: mean 8,222.22, index 102.778
    assert index["11"] == {2019: 100.0, 2020: 102.778}
    # région 76, weights C 4,400 and D 2,200: 2019 11e6 / 6,600 = 1,666.67; March 2020
    # (2,100·4,400 + 900·2,200) / 6,600 = 1,700: mean 1,677.78, index 100.667
    assert index["76"] == {2019: 100.0, 2020: 100.667}
    # the whole area: 143e6 / 23,100 in 2019, 154.22e6 / 23,100 in March 2020:
    # (2 + 154.22 / 143) / 3 = 1.026154
    assert index["FR"] == {2019: 100.0, 2020: 102.615}


def test_a_run_starting_after_2019_indexes_prices_on_its_first_year():
    t = run_table()
    index = indicators.price_index_by_region(t[t["month"] >= "2020-01"], AREA)
    assert index["FR"] == {2020: 100.0}


def test_the_documented_columns_are_the_columns_of_the_territories_table(res):
    """docs/odd.md §7 prints ``columns(SCHEDULE)``: every column of territories.parquet, in
    order, with its unit and the submodel it comes from (counts in households)."""
    rows = [line.split(" | ") for line in columns(SCHEDULE).splitlines()[2:]]
    names = [r[0].strip("| `") for r in rows]
    profiles = [c for c in res.territories.columns if c.startswith("households_")]
    expected = [c for c in res.territories.columns if c not in profiles]
    expected.insert(expected.index("households") + 1, "households_<profile>")
    assert names == expected
    units = {r[0].strip("| `"): r[1] for r in rows}
    assert units["arrivals"] == "households" and units["price_m2"] == "€/m²"
    assert {r[0].strip("| `"): r[2] for r in rows}["price_m2"] == "Housing market"
