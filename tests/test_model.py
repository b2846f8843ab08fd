"""Behavioural specification of the monthly step: decision, choice, capacity, market."""

import numpy as np
import pandas as pd
import pytest

from migrasim import calendar
from migrasim.ages import AGE_CLASSES, N_AGES
from migrasim.config import load
from migrasim.experiments import Simulation
from migrasim.kernels import choice
from migrasim.kernels.capacity import allocate
from migrasim.model import MigrationModel
from migrasim.population import household_types

SMALL = ["scale=0.002", "months=12"]
AVEYRON_LOZERE = ['territory.departements=["12","48"]']


@pytest.fixture(scope="module")
def model():
    return MigrationModel(config=load(["scenario=baseline", *SMALL]))


def test_a_price_rise_cuts_arrivals(model):
    m = model
    ch, market = m.submodels.choice, m.submodels.market
    types = household_types(m.types, m.submodels.decision.decide(m, m.month)[1])
    terms = ch.territory_terms(m)
    before, _ = market.expected_flows(types, ch.lookup(m, terms))
    j = int(np.argmax(before))
    saved = market.rent[j]
    market.rent[j] = saved * 1.3
    try:
        after, _ = market.expected_flows(types, ch.lookup(m, terms))
    finally:
        market.rent[j] = saved
    assert after[j] < 0.95 * before[j]
    others = np.arange(len(before)) != j
    assert after[others].sum() > before[others].sum()  # the demand goes elsewhere


def test_more_telework_days_lengthen_the_accepted_commute(model):
    m = model
    ch = m.submodels.choice
    paris = m.territories.select(codes=["200054781"])[0]
    tables = ch.lookup(m, ch.territory_terms(m))
    # the tables' rows are segments: a manager household aged 30-44
    manager = m.profiles.index("manager") * N_AGES + AGE_CLASSES.index("from_30_to_44")
    mean_commute = []
    for days in (0, 2, 4):
        prob = choice.probabilities(tables, manager, paris, paris, days / 5, 1 / 4000.0)
        mean_commute.append(float(prob @ ch.commute_min[:, paris]))
    assert mean_commute[0] < mean_commute[1] < mean_commute[2]


def test_capacity_is_never_exceeded_and_households_and_dwellings_are_accounted_for():
    """Every month: no territory has fewer than zero vacant dwellings; the living
    households are those of the month before plus those formed and arrived from abroad
    minus those dissolved and gone abroad, and each occupies one dwelling; dwellings are
    conserved (occupied + vacant + secondary homes; construction adds vacant ones)."""
    m = MigrationModel(config=load(["scenario=remote50", "scale=0.002", "months=30"]))
    hh, stock, demography = m.households, m.stock, m.submodels.demography
    initial = hh.count
    secondary = stock.dwellings - stock.occupied - stock.vacant
    totals = dict.fromkeys(("formed", "from_abroad", "dissolved", "to_abroad"), 0)
    while m.running:
        alive_before = hh.alive.copy()
        m.step()
        counts = {k: int(v.sum()) for k, v in demography.record(m).items()}
        for k in totals:
            totals[k] += counts[k]
        # who exists now: the households that lived and were not removed, and the new ones
        gone = np.flatnonzero(alive_before & ~hh.alive[:alive_before.size])
        new = np.flatnonzero(hh.alive[alive_before.size:]) + alive_before.size
        assert gone.size == counts["dissolved"] + counts["to_abroad"]
        assert new.size == counts["formed"] + counts["from_abroad"]
        assert hh.count == (initial + totals["formed"] + totals["from_abroad"]
                            - totals["dissolved"] - totals["to_abroad"])
        assert (stock.vacant >= 0).all()
        assert np.array_equal(stock.occupied, np.bincount(hh.home[hh.alive],
                                                          minlength=len(m.territories)))
        assert np.array_equal(stock.occupied + stock.vacant + secondary, stock.dwellings)
    assert stock.occupied.sum() == hh.count
    assert min(totals.values()) > 0  # in 30 months, every change of the count happened


def test_unlucky_movers_stay_and_count_as_unmet_demand():
    vacant = np.array([0.0, 1.0, 5.0])
    unmet = np.zeros(3)
    chosen = np.array([1, 1, 1, 0], dtype=np.int32)
    origin = np.array([2, 2, 0, 0], dtype=np.int32)
    moved = allocate(np.array([0, 1, 2, 3]), chosen, origin, np.ones(4), vacant, unmet,
                     np.zeros(4, dtype=np.bool_))
    # one vacant dwelling in territory 1: the first in the lottery order gets it
    assert moved.tolist() == [True, False, False, True]
    assert unmet.tolist() == [0, 2, 0]
    assert vacant.tolist() == [0, 0, 6]


def test_new_households_need_a_vacant_dwelling_even_at_home_and_free_none():
    """A forming household (or one from abroad) has no dwelling to swap or leave: it takes
    a vacant one, in its origin territory too, or does not form."""
    vacant = np.array([0.0, 1.0, 1.0])
    unmet = np.zeros(3)
    chosen = np.array([2, 0, 0, 1, 2], dtype=np.int32)
    origin = np.array([1, 0, 0, 2, 2], dtype=np.int32)
    new = np.array([True, True, False, False, True])
    moved = allocate(np.array([0, 1, 2, 3, 4]), chosen, origin, np.ones(5), vacant, unmet,
                     new)
    # 0 takes territory 2's vacant dwelling and frees none in 1; 1 finds none at home
    # where 2, an existing household, moves within; 3 takes 1's and frees one in 2,
    # which 4 takes
    assert moved.tolist() == [True, False, True, True, True]
    assert unmet.tolist() == [1, 0, 0]
    assert vacant.tolist() == [0, 0, 0]


def test_the_same_seed_gives_identical_outputs():
    a = Simulation("covid", scale=0.002, months=8, seed=7, compare_to=None).run(progress=False)
    b = Simulation("covid", scale=0.002, months=8, seed=7, compare_to=None).run(progress=False)
    pd.testing.assert_frame_equal(a.territories, b.territories)
    pd.testing.assert_frame_equal(a.flows, b.flows)
    c = Simulation("covid", scale=0.002, months=8, seed=8, compare_to=None).run(progress=False)
    assert not a.flows.equals(c.flows)


def test_a_scenario_identical_to_baseline_gives_identical_results():
    base = Simulation("baseline", scale=0.002, months=10, compare_to=None).run(progress=False)
    same = Simulation("baseline", scale=0.002, months=10, compare_to=None, overrides=[
        "scenario.name=baseline_copy",
        "+scenario.policies=[{_target_: migrasim.policies.AccueilMission, "
        "group: petr_haut_rouergue, marketing_bonus: 0.0, retention: 1.0, cost_per_year: 0}]",
    ]).run(progress=False)
    pd.testing.assert_frame_equal(base.territories, same.territories)
    pd.testing.assert_frame_equal(base.flows, same.flows)


def test_scenarios_share_draws_until_they_diverge():
    """Common random numbers: covid and baseline are the same world until March 2020."""
    base = Simulation("baseline", scale=0.002, months=16, compare_to=None).run(progress=False)
    covid = Simulation("covid", scale=0.002, months=16, compare_to=None).run(progress=False)
    before = [f"2019-{m:02d}" for m in range(1, 13)] + ["2020-01", "2020-02"]
    pd.testing.assert_frame_equal(
        base.territories[base.territories["month"].isin(before)].reset_index(drop=True),
        covid.territories[covid.territories["month"].isin(before)].reset_index(drop=True))
    assert not base.territories.equals(covid.territories)


def test_remote50_means_half_of_working_households_telework_two_days_or_more():
    m = MigrationModel(config=load(["scenario=remote50", "scale=0.01", "months=1"]))
    telework = m.submodels.telework
    days = telework.days(m, telework.period_at(calendar.parse("2022-01")))
    working = m.households.job >= 0
    assert np.mean(days[working] >= 2) == pytest.approx(0.50, abs=0.02)
    before = telework.days(m, telework.period_at(calendar.parse("2019-06")))
    assert np.mean(before[working] >= 1) == pytest.approx(0.04, abs=0.015)


def test_an_accueil_policy_brings_newcomers_to_its_territories():
    common = ["scale=0.01", "months=24", *AVEYRON_LOZERE]
    base = Simulation("baseline", compare_to=None, overrides=common).run(progress=False)
    policy = Simulation("baseline", compare_to=None, overrides=[
        *common, "+scenario.policies=[{_target_: migrasim.policies.AccueilMission, "
        "group: petr_haut_rouergue, marketing_bonus: 0.5, retention: 0.5}]",
    ]).run(progress=False)
    petr = base.area.df.index[base.area.select(group="petr_haut_rouergue")]

    def households(res):
        last = res.territories[res.territories["month"] == res.territories["month"].max()]
        return last[last["epci"].isin(petr)]["households"].sum()

    assert households(policy) > households(base)


def test_full_scale_runs_on_a_small_area():
    m = MigrationModel(config=load(["scenario=remote50", "scale=1.0", "months=3",
                                    'territory.departements=["48"]']))
    expected = m.territories.df["households"].to_numpy()
    assert np.all(np.abs(m.stock.occupied - expected) < 1.0)  # every real household, once
    while m.running:
        m.step()
    assert m.last["movers"] > 100


def test_mesa_datacollector_and_batch_run_work():
    import mesa

    m = MigrationModel(scenario="baseline", scale=0.002, months=3, rng=3)
    assert len(m.agents) == len(m.territories)
    while m.running:
        m.step()
    frame = m.datacollector.get_model_vars_dataframe()
    assert len(frame) == 3 and (frame["movers"] > 0).all()
    runs = mesa.batch_run(MigrationModel, {"scenario": ["baseline"], "scale": [0.002],
                                           "months": [2], "rng": [1, 2]},
                          max_steps=5, display_progress=False)
    assert {r["rng"] for r in runs} == {1, 2} and all(r["moved"] > 0 for r in runs)


def test_a_one_month_run_gives_one_month_of_tables():
    """The shortest run still writes every table: one row per EPCI, its moves."""
    res = Simulation("baseline", scale=0.002, months=1, compare_to=None, overrides=[
        *AVEYRON_LOZERE]).run(progress=False)
    assert res.territories["month"].unique().tolist() == ["2019-01"]
    assert len(res.territories) == len(res.area)
    assert res.flows["households"].sum() == pytest.approx(
        res.territories[["arrivals", "internal_moves"]].to_numpy().sum())
