"""The planners' policies: what each does to its lever, the sign of its effect, its cost.

Each policy acts only through the levers of submodels/levers.py. A policy at zero
strength leaves every result of a run as without it; at a strength large enough for the
sign not to be noise it moves the outcome it is meant to move, against a reference run
with the same seed and the same territory constants (common random numbers). Costs are
real euros per territory and month (``policy_cost_eur``, ``Results.costs``), worked out
by hand from the options here. Bad options are refused in one line before any work.
"""

import json
import re
import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from migrasim import Simulation
from migrasim.errors import ConfigError
from migrasim.experiments.results import Results
from migrasim.kernels import choice
from migrasim.model import MigrationModel
from migrasim.observation.indicators import retention
from migrasim.policies import (
    SHEETS,
    Broadband,
    Coworking,
    Policy,
    SocialHousing,
    Transport,
    VacancyRemobilisation,
)
from migrasim.submodels.relocation import commutes, out_of_reach

AREA = '["12","48","15"]'  # Aveyron, Lozère, Cantal: 38 EPCI, rural, no employment pole
TARN = '["81"]'            # Tarn: 14 EPCI, the CC commute to Albi, Castres or Gaillac
TOULOUSE = '["31"]'        # Haute-Garonne: Toulouse Métropole, where renters are displaced
PETR = "petr_haut_rouergue"
METROPOLE = "243100518"    # Toulouse Métropole
NO_BUILDING = ["model.construction.base_rate=0", "model.construction.rate=0"]


def policy(name: str, **options) -> dict:
    return {"_target_": f"migrasim.policies.{name}", **options}


def override(*specs: dict) -> str:
    """The override adding ``specs`` to the scenario's policies (hydra syntax)."""
    def value(v):
        return json.dumps(v) if isinstance(v, str | list) else repr(v)
    items = ", ".join("{" + ", ".join(f"{k}: {value(v)}" for k, v in s.items()) + "}"
                      for s in specs)
    return f"+scenario.policies=[{items}]"


def model(*specs: dict, area: str = AREA, scale: float = 0.02, months: int = 24,
          scenario: str = "baseline", extra=(), like: MigrationModel | None = None,
          run: bool = True) -> MigrationModel:
    """A model of ``area`` under the policies ``specs``, run to its end (``run``);
    ``like``: the reference run whose study area and territory constants it shares."""
    overrides = [f"territory.departements={area}", *extra,
                 *([override(*specs)] if specs else [])]
    shared = {} if like is None else {"area": like.territories,
                                      "constants": like.submodels.constants.values}
    m = MigrationModel(scenario, scale=scale, months=months, rng=1, collect=False,
                       overrides=overrides, **shared)
    while run and m.running:
        m.step()
    return m


def results(m: MigrationModel) -> Results:
    return Results.from_model(m)


def codes(m: MigrationModel, **criteria) -> list[str]:
    return list(m.territories.codes[m.territories.select(**criteria)])


def arrivals_by_profile(res: Results, destinations: list[str]) -> pd.Series:
    """Households that moved into ``destinations`` from another EPCI, by profile."""
    f = res.flows
    f = f[f["destination"].isin(destinations) & (f["origin"] != f["destination"])]
    return f.groupby("profile")["households"].sum()


def at_end(res: Results, column: str, where: list[str]) -> pd.Series:
    t = res.territories
    last = t[t["month"] == t["month"].max()]
    return last[last["epci"].isin(where)].set_index("epci")[column]


# --- Zero strength -------------------------------------------------------------------

@pytest.fixture(scope="module")
def reference():
    """remote50 from 2022 (half of the workers telework), Aveyron, Lozère and Cantal."""
    return model(scenario="remote50", extra=["start=2022-01"], months=18)


@pytest.mark.parametrize("spec", [
    policy("Coworking", departements=["48"], seats=0),
    policy("Broadband", departements=["48"], level=0.0),
    policy("Transport", kind="CC", share=0.0),
    policy("SocialHousing", group=PETR, dwellings=0),
    policy("VacancyRemobilisation", kind="CC", share_per_year=0.0, secondary=True),
], ids=["coworking", "broadband", "transport", "social housing", "vacancy"])
def test_a_policy_at_zero_strength_changes_no_result(reference, spec):
    """No seat, a coverage level below every score, no minute saved, no dwelling
    reserved or brought back: every table equals the reference's but the policy's own
    costs (a transport budget without a faster link is still spent)."""
    m = model(spec, scenario="remote50", extra=["start=2022-01"], months=18, like=reference)
    got, want = results(m), results(reference)
    cost = got.territories.pop("policy_cost_eur")
    want.territories.pop("policy_cost_eur")
    pd.testing.assert_frame_equal(got.territories, want.territories)
    pd.testing.assert_frame_equal(got.flows, want.flows)
    pd.testing.assert_frame_equal(got.cohorts, want.cohorts)
    assert (cost > 0).any() == (spec["_target_"].endswith("Transport"))


# --- Each policy moves its outcome ---------------------------------------------------

def test_a_welcome_mission_retains_its_newcomers():
    """Follow-up alone (no marketing): of the households that arrived in the PETR in 2019
    and 2020, more are still there a year later than without the mission."""
    ref = model(months=36, scale=0.05)
    petr = codes(ref, group=PETR)
    mission = model(policy("AccueilMission", group=PETR, marketing_bonus=0.0,
                           retention=0.3), months=36, scale=0.05, like=ref)
    before, after = (retention(results(m).cohorts, results(m).territories, petr)
                     .set_index(["cohort", "years"])["retention"] for m in (ref, mission))
    for cohort in (2019, 2020):
        assert after[cohort, 1] > before[cohort, 1] + 0.03, cohort


@pytest.fixture(scope="module")
def lozere_reference():
    return model(scenario="remote50", extra=["start=2022-01"], scale=0.05)


def test_coworking_seats_bring_teleworking_commuters(lozere_reference):
    """Seats enough for every hybrid household in Lozère's EPCI: the hybrid profile (who
    replace a commute day there and telework) arrives there much more; retirees (neither
    telework nor commute) about as before (they only meet the others in the capacity
    lottery)."""
    ref = lozere_reference
    lozere = codes(ref, departement="48")
    m = model(policy("Coworking", departements=["48"], seats=2000, each=True),
              scenario="remote50", extra=["start=2022-01"], scale=0.05, like=ref)
    before, after = (arrivals_by_profile(results(x), lozere) for x in (ref, m))
    assert after["hybrid"] > 1.2 * before["hybrid"]
    assert after["retiree"] == pytest.approx(before["retiree"], rel=0.05)  # the lottery only
    served = m.submodels.policies.policies[0].served(m)
    np.testing.assert_array_equal(served, 1.0)


def test_broadband_brings_teleworkers(lozere_reference):
    """Lozère fully connected from the start: teleworking profiles (hybrid, manager)
    arrive there more; retirees (who do not value broadband) about as before."""
    ref = lozere_reference
    lozere = codes(ref, departement="48")
    m = model(policy("Broadband", departements=["48"], level=1.0), scenario="remote50",
              extra=["start=2022-01"], scale=0.05, like=ref)
    before, after = (arrivals_by_profile(results(x), lozere) for x in (ref, m))
    assert after["hybrid"] + after["manager"] > 1.05 * (before["hybrid"] + before["manager"])
    assert after["retiree"] == pytest.approx(before["retiree"], rel=0.05)  # the lottery only


def test_a_faster_link_to_the_pole_brings_commuters():
    """Tarn's communautés de communes at half the time from their pole (Albi, Castres,
    Gaillac): the commuting profiles arrive there more; retirees, who do not commute,
    about as before."""
    ref = model(area=TARN, scale=0.05)
    cc = codes(ref, kind="CC")
    m = model(policy("Transport", kind="CC", share=0.5), area=TARN, scale=0.05, like=ref)
    before, after = (arrivals_by_profile(results(x), cc) for x in (ref, m))
    for profile in ("hybrid", "stable", "precarious"):
        assert after[profile] > 1.1 * before[profile], profile
    assert after["retiree"] == pytest.approx(before["retiree"], rel=0.1)


def test_a_construction_cap_lowers_building_and_raises_prices_where_demand_is_high():
    """A welcome mission draws demand to the PETR, where building answers prices; no new
    dwelling there (cap 0) means fewer dwellings and higher prices at the end."""
    building = ["model.construction.cost_m2=500", "model.construction.rate=0.5"]
    attract = policy("AccueilMission", group=PETR, marketing_bonus=1.0, retention=1.0)
    ref = model(attract, extra=building, scale=0.05, months=18)
    petr = codes(ref, group=PETR)
    capped = model(attract, policy("ConstructionCap", group=PETR, dwellings_per_year=0),
                   extra=building, scale=0.05, months=18, like=ref)
    before, after = results(ref), results(capped)
    assert (at_end(after, "dwellings", petr) < at_end(before, "dwellings", petr)).all()
    assert (at_end(after, "price_m2", petr) > at_end(before, "price_m2", petr)).all()


def test_vacant_homes_back_on_the_market_lower_prices_where_demand_is_high():
    """A welcome mission draws demand to the PETR, where few dwellings are vacant; bringing
    half of its long-term vacant dwellings back each year adds vacant homes and supply
    without building: prices end lower, market vacancy higher, dwellings the same."""
    attract = policy("AccueilMission", group=PETR, marketing_bonus=1.0, retention=1.0)
    ref = model(attract, scale=0.05)
    petr = codes(ref, group=PETR)
    m = model(attract, policy("VacancyRemobilisation", group=PETR, share_per_year=0.5),
              scale=0.05, like=ref)
    before, after = results(ref), results(m)
    assert (at_end(after, "price_m2", petr) < 0.97 * at_end(before, "price_m2", petr)).all()
    assert (at_end(after, "vacancy", petr) > at_end(before, "vacancy", petr)).all()
    pd.testing.assert_series_equal(at_end(after, "dwellings", petr),
                                   at_end(before, "dwellings", petr))
    where = ref.territories.select(group=PETR)
    assert (m.stock.long_term_vacant[where] < ref.stock.long_term_vacant[where]).all()
    np.testing.assert_array_equal(m.stock.secondary, ref.stock.secondary)


def test_social_housing_lowers_displacement():
    """Toulouse Métropole, renters at risk from a rent burden of 0.35: dwellings reserved
    for its precarious renters lower their displacement there, and enough of them end it;
    elsewhere, at first, nothing changes."""
    risky = ["model.move.displacement.threshold=0.35"]
    ref = model(area=TOULOUSE, extra=risky)
    displaced = {}
    for dwellings in (2_000, 50_000):
        m = model(policy("SocialHousing", territories=[METROPOLE], dwellings=dwellings),
                  area=TOULOUSE, extra=risky, like=ref)
        displaced[dwellings] = results(m).territories.groupby("epci")["displaced"].sum()
    before = results(ref).territories.groupby("epci")["displaced"].sum()
    assert before[METROPOLE] > 1000
    assert 0 < displaced[2_000][METROPOLE] < 0.95 * before[METROPOLE]
    assert displaced[50_000][METROPOLE] == 0


# --- Levers, exactly -----------------------------------------------------------------

def test_days_off_commuting_discount_the_commute_term_up_to_the_share_not_teleworked():
    """V(j | days off d) − V(j | none) = −commute[p] · minutes(j, job) · min(d, 5 − tw) / 5
    for the profile given days off, nothing for the others; the reach rule counts the
    days off with telework days."""
    m = model(extra=["model.equilibrium.enabled=false"], run=False)
    ch, hh = m.submodels.choice, m.households
    hybrid = m.profiles.index("hybrid")
    plain = ch.lookup(m, ch.territory_terms(m))
    m.levers.commute_days_off[hybrid] = np.linspace(0.0, 4.0, len(m.territories))
    off = ch.lookup(m, ch.territory_terms(m))
    largest = 0.0
    for h in np.flatnonzero(hh.job >= 0)[::11]:
        args = (int(hh.segment[h]), int(hh.home[h]), int(hh.job[h]), 2 / 5.0, 1.0 / hh.budget[h])
        shift = (np.log(choice.probabilities(off, *args))
                 - np.log(choice.probabilities(plain, *args)))
        days = m.levers.commute_days_off[hh.profile[h]]
        expected = -ch.coef["commute"][hh.profile[h]] * ch.commute_min[:, hh.job[h]] * (
            np.minimum(days, 3.0) / 5)
        assert np.ptp(shift - expected) < 1e-3, h
        largest = max(largest, np.ptp(expected))
    assert largest > 1.0
    w = np.flatnonzero((hh.job >= 0) & (hh.profile == hybrid))
    minutes, days_off = commutes(m, w)
    np.testing.assert_array_equal(days_off, hh.telework_days[w]
                                  + m.levers.commute_days_off[hybrid, hh.home[w]])
    # 160 min × 3/5 = 96 > 90; × 2.5/5 = 80; seven days off leave no commute at all
    np.testing.assert_array_equal(out_of_reach(np.array([160.0, 160.0, 1000.0]),
                                               np.array([2.0, 2.5, 7.0]), 90.0),
                                  [True, False, False])


def test_a_faster_link_shortens_the_trips_to_the_pole_only():
    """The transport lever × the minutes from a targeted home to its pole, in the choice's
    commute and in the reach rule; trips to any other site keep their minutes."""
    m = model(policy("Transport", kind="CC", share=0.25), area=TARN, run=False,
              extra=["model.equilibrium.enabled=false"])
    m.submodels.policies.step(m)
    t, ch = m.territories, m.submodels.choice
    cc = np.flatnonzero(t.df["kind"].to_numpy() == "CC")
    minutes = ch.minutes(m)
    expected = ch.commute_min.copy()
    expected[cc, t.pole[cc]] *= 0.75
    np.testing.assert_array_equal(minutes, expected)
    assert (t.pole[cc] != cc).sum() >= 10  # most CC commute to another EPCI
    tables = ch.lookup(m, ch.territory_terms(m))
    np.testing.assert_array_equal(tables.commute, expected.T.astype(choice.F32))
    hh = m.households
    w = np.flatnonzero(hh.job >= 0)
    np.testing.assert_array_equal(commutes(m, w)[0], expected[hh.home[w], hh.job[w]])


def test_coworking_and_broadband_raise_the_scores_the_choice_uses():
    """Broadband: the higher of the prior score and the coverage; coworking: the share
    of households served closes that part of the gap to 1. Only the telework terms of the
    choice change."""
    m = model(policy("Broadband", departements=["48"], level=0.9),
              policy("Coworking", departements=["48"], seats=100, each=True),
              run=False, extra=["model.equilibrium.enabled=false"])
    m.submodels.policies.step(m)
    ch, lozere = m.submodels.choice, m.territories.df["departement"].to_numpy() == "48"
    served = m.submodels.policies.policies[1].served(m)
    assert ((served > 0) & (served < 1)).any()
    bb, cw = ch.telework_scores(m)
    s = ch.scores
    np.testing.assert_array_equal(bb, np.where(lozere, np.maximum(s["broadband"], 0.9),
                                               s["broadband"]))
    expected = s["coworking"].copy()
    expected[lozere] = 1 - (1 - expected[lozere]) * (1 - served)
    np.testing.assert_allclose(cw, expected, rtol=1e-15)
    tables = ch.lookup(m, ch.territory_terms(m))
    np.testing.assert_array_equal(tables.tele, ch.telework_terms(bb, cw))
    assert (tables.tele[:, lozere] > ch.static["tele"][:, lozere]).any()
    np.testing.assert_array_equal(tables.tele[:, ~lozere], ch.static["tele"][:, ~lozere])


def test_a_fibre_deployment_due_before_the_run_is_complete_at_its_first_month():
    """``by`` before the start: the whole level at once, paid in the first month."""
    m = model(policy("Broadband", departements=["48"], level=0.95, by="2018-06"), run=False,
              extra=["model.equilibrium.enabled=false"])
    m.submodels.policies.step(m)
    lozere = m.territories.df["departement"].to_numpy() == "48"
    np.testing.assert_array_equal(m.levers.broadband, np.where(lozere, 0.95, 0.0))
    rise = 0.95 - m.territories.array("broadband")[lozere]  # every prior score is lower
    premises = m.stock.dwellings[lozere] / m.scale * rise
    np.testing.assert_allclose(m.submodels.policies.spent[lozere], premises * 1_000.0)


# --- Costs ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def spending():
    """Fourteen months (2019-01 .. 2020-02) of six policies with their dates, no
    construction (constant dwellings); also the long-term vacant dwellings at the start."""
    specs = [
        policy("AccueilMission", group=PETR),                                       # 0
        policy("Coworking", departements=["48"], seats=30, each=True,               # 1
               **{"from": "2019-04", "until": "2019-09"}),
        policy("SocialHousing", kind="CA", dwellings=120),                          # 2
        policy("Broadband", departements=["15"], level=0.9, by="2019-06",           # 3
               **{"from": "2019-03"}),
        policy("ConstructionCap", kind="CC", dwellings_per_year=10),                # 4
        policy("VacancyRemobilisation", departements=["12"], share_per_year=0.2),   # 5
    ]
    m = model(*specs, months=14, extra=NO_BUILDING, run=False)
    start = m.stock.long_term_vacant.copy()
    while m.running:
        m.step()
    return m, results(m), start


def test_costs_add_up_to_the_territories_column(spending):
    """Summed over the policies, the costs table is the ``policy_cost_eur`` column of the
    territories table, EPCI by EPCI and month by month; every row names its policy and
    its OPTER sheet."""
    m, res, _ = spending
    by_cell = res.costs.groupby(["month", "epci"])["cost_eur"].sum()
    column = res.territories.set_index(["month", "epci"])["policy_cost_eur"]
    np.testing.assert_allclose(column.reindex(by_cell.index), by_cell, rtol=1e-12)
    assert column.drop(by_cell.index).eq(0).all()
    sheets = res.costs.groupby("policy")["sheet"].unique().map(list).to_dict()
    assert sheets == {"0:AccueilMission": ["Accueil"], "1:Coworking": ["Tiers-lieux"],
                      "2:SocialHousing": ["Habitat"], "3:Broadband": ["Numérique"],
                      "4:ConstructionCap": ["Foncier"], "5:VacancyRemobilisation": ["Habitat"]}


def test_costs_match_the_options(spending):
    """A mission's year costs its ``cost_per_year`` (split by households); seats cost
    seats × 2,500 € a year in each target; reserved dwellings 120 × 5,000 € a year over
    the CA; fibre ≈ 1,000 € a premise, premises = dwellings × the rise of the score,
    spread evenly from March to June; a cap costs nothing by default; a vacant home back
    on the market 15,000 €, the first month's being 1 − 0.8^(1/12) of the long-term vacant
    ones, the dwellings paid for those that came back (up to the fractions under way)."""
    m, res, start = spending
    c = res.costs.assign(year=res.costs["month"].str[:4])
    per = c.groupby(["policy", "year"])["cost_eur"].sum()
    assert per["0:AccueilMission", "2019"] == pytest.approx(60_000.0)
    assert per["0:AccueilMission", "2020"] == pytest.approx(2 * 60_000.0 / 12)
    seats = c[(c["policy"] == "1:Coworking") & (c["cost_eur"] > 0)]
    np.testing.assert_allclose(seats["cost_eur"], 30 * 2_500.0 / 12)
    monthly = c[c["policy"] == "2:SocialHousing"].groupby("month")["cost_eur"].sum()
    np.testing.assert_allclose(monthly, 120 * 5_000.0 / 12)
    fibre = c[c["policy"] == "3:Broadband"].groupby("month")["cost_eur"].sum()
    cantal = m.territories.df["departement"].to_numpy() == "15"
    score = m.territories.array("broadband")[cantal]
    premises = (m.stock.dwellings[cantal] / m.scale * np.maximum(0.9 - score, 0)).sum()
    assert fibre.sum() == pytest.approx(premises * 1_000.0)
    np.testing.assert_allclose(fibre[["2019-03", "2019-04", "2019-05", "2019-06"]],
                               fibre.sum() / 4)
    assert c.loc[c["policy"] == "4:ConstructionCap", "cost_eur"].eq(0).all()
    homes = c[c["policy"] == "5:VacancyRemobilisation"]
    aveyron = m.territories.df["departement"].to_numpy() == "12"
    first = homes[homes["month"] == "2019-01"]["cost_eur"].sum()
    assert first == pytest.approx((1 - 0.8 ** (1 / 12)) * start[aveyron].sum() / m.scale
                                  * 15_000.0)
    back = (start - m.stock.long_term_vacant)[aveyron].sum() / m.scale
    paid = homes["cost_eur"].sum() / 15_000.0
    assert back > 0 and back <= paid < back + aveyron.sum() / m.scale


def test_costs_are_zero_outside_from_and_until(spending):
    """Coworking from 2019-04 to 2019-09 inclusive: its rows of the other months are zero;
    the fibre is paid while it is laid (2019-03 .. 2019-06) and not once it is."""
    _, res, _ = spending
    c = res.costs

    def months_paid(name):
        rows = c[(c["policy"] == name)]
        return sorted(rows.loc[rows["cost_eur"] > 0, "month"].unique())

    assert months_paid("1:Coworking") == [f"2019-{k:02d}" for k in range(4, 10)]
    assert months_paid("3:Broadband") == [f"2019-{k:02d}" for k in range(3, 7)]
    assert c[c["policy"] == "1:Coworking"]["month"].nunique() == 14  # rows every month


def test_costs_and_cohorts_are_saved_and_reopened(spending, tmp_path):
    _, res, _ = spending
    res.save(tmp_path / "run", figures=False)
    back = Results.load(tmp_path / "run")
    pd.testing.assert_frame_equal(back.costs, res.costs)
    pd.testing.assert_frame_equal(back.cohorts, res.cohorts)


# --- Bad options ---------------------------------------------------------------------

@pytest.mark.parametrize(("spec", "message"), [
    (policy("Coworking", group=PETR, seats=-5),
     "scenario.policies[0].seats: -5 is not allowed; allowed: a number ≥ 0.0"),
    (policy("Coworking", group=PETR, seats="many"),
     "scenario.policies[0].seats: 'many' is not allowed; allowed: a number ≥ 0.0"),
    (policy("Coworking", group=PETR, days_replaced=0),
     "scenario.policies[0].days_replaced: 0 is not allowed; allowed: a number in (0.0, 5.0]"),
    (policy("Broadband", group=PETR, level=1.5),
     "scenario.policies[0].level: 1.5 is not allowed; allowed: a number in [0.0, 1.0]"),
    (policy("Broadband", group=PETR, by="2020-01", **{"from": "2021-01"}),
     "scenario.policies[0].by: '2020-01' is not allowed; allowed: a month at or after "
     "'from' (2021-01)"),
    (policy("Transport", group=PETR, share=1.0),
     "scenario.policies[0].share: 1.0 is not allowed; allowed: a number in [0.0, 1.0)"),
    (policy("SocialHousing", group=PETR, profiles=["astronaut"]),
     "scenario.policies[0].profiles[0]: 'astronaut' is not allowed; allowed: one of the "
     "profiles ['manager', 'hybrid', 'neo_rural', 'retiree', 'precarious', 'stable']"),
    (policy("SocialHousing", departements="12"),
     "scenario.policies[0].departements: '12' is not allowed; allowed: null or a non-empty "
     "list of département codes, e.g. ['12', '48']"),
    (policy("Transport", departements=["12", "75"]),
     "scenario.policies[0].departements[1]: '75' is not allowed; allowed: départements of "
     "the study area ['12', '15', '48']"),
    (policy("VacancyRemobilisation", group=PETR, secondary="yes"),
     "scenario.policies[0].secondary: 'yes' is not allowed; allowed: true or false"),
], ids=["negative seats", "seats not a number", "no day replaced", "level above 1",
        "by before from", "the whole trip saved", "unknown profile", "not a list",
        "département outside the area", "not a flag"])
def test_bad_options_are_refused_in_one_line(spec, message):
    with pytest.raises(ConfigError) as refused:
        Simulation("baseline", scale=0.01, months=1, compare_to=None,
                   overrides=[f"territory.departements={AREA}", override(spec)])
    assert str(refused.value) == message


def test_every_policy_belongs_to_an_opter_sheet_and_a_class_without_one_is_refused():
    for cls in (Broadband, Coworking, SocialHousing, Transport, VacancyRemobilisation):
        assert cls.sheet in SHEETS
    with pytest.raises(TypeError, match="sheet"):
        type("Nowhere", (Policy,), {})


def test_the_notebook_policy_of_the_docs_runs():
    """docs/policies.md writes a new policy in a few lines, as in a notebook, and runs it:
    its block executes as it is and the policy spends under its sheet."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "policies.md").read_text()
    code = re.findall(r"```python\n(.*?)```", text, flags=re.S)[-1]
    notebook = types.ModuleType("a_notebook")
    sys.modules[notebook.__name__] = notebook  # as __main__ is, for a notebook's classes
    try:
        exec(compile(code, "docs/policies.md", "exec"), notebook.__dict__)
    finally:
        del sys.modules[notebook.__name__]
    costs = notebook.res.costs
    assert (costs["sheet"] == "Financement").all() and costs["cost_eur"].sum() > 0
