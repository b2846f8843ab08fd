"""The Mesa references (migrasim.reference) are oracles for the fast path.

Built from a ``MigrationModel`` before it steps, ``MesaReference`` runs the same month
with one Python object per household and Python loops, from the same counter-based
draws; ``MesaNumpyReference``, the benchmark baseline, runs it with the same agents but
numpy vectors over territories, and every test here that steps a reference runs with
each. The two must take the same decisions, job changes, demographic events, choices,
lottery and retirements and reach the same state every month, every household's
attributes and the housing stock exactly, incomes to the last bits. The fast path may
evaluate utilities in float32: a choice may then differ only when its draw falls on a
boundary of the cumulative choice probabilities; prices and rents, whose expected demand
sums float32 choice probabilities, agree within 1e-4. (``MesaNumpyReference``'s own
float64 rounding differences from ``MesaReference`` are in test_reference_numpy.py.)

What is not compared: policies and sampled alternatives (the reference refuses them),
the household-type index (the reference sums hazards in a dict keyed by home, segment
and job, so the yearly compaction has nothing to check there) and the flows table of the
records (its moves are the reasons, choices and lottery compared here).
"""

from collections import Counter

import numpy as np
import pytest

from migrasim import calendar, rng
from migrasim.kernels.decision import (
    ABROAD,
    DISPLACED,
    FORMATION,
    JOB_CHANGE,
    ORDINARY,
    RETURN,
    TELEWORK,
)
from migrasim.kernels.demography import DISSOLVES, EMIGRATES, LEAVES_HOME, SEPARATES
from migrasim.model import MigrationModel
from migrasim.population import household_types
from migrasim.reference import MesaNumpyReference, MesaReference
from migrasim.territories.classification import HIERARCHY

STATE = ("home", "profile", "job", "months_since_arrival", "origin", "telework_days", "age",
         "segment", "alive", "owner")
# Incomes are float64 in both, but a new household's draw goes through numpy's log1p, cos
# and exp in the fast path and libm's in the reference: equal to the last bits only.
INCOME = ("income", "budget")
INCOME_RTOL = 1e-12
FLOAT32_BOUNDARY = 1e-4  # relative distance of a draw to a cumulative-probability boundary
AREA = ['territory.departements=["75","60","12","48"]']  # Paris, Oise, Aveyron, Lozère


@pytest.fixture(params=[MesaReference, MesaNumpyReference], ids=["pure", "numpy"])
def reference(request) -> type[MesaReference]:
    """Each Mesa model of the month in turn."""
    return request.param


def test_uniform_py_returns_the_same_float_as_uniform():
    draws = np.random.default_rng(0)
    households = np.concatenate([np.arange(100), draws.integers(0, 2**62, 100),
                                 [2**31 - 1, 2**32, 2**63 - 2]]).astype(np.int64)
    purposes = (rng.MOVE, rng.CHOICE, rng.LOTTERY, rng.FAILURE, rng.DISPLACEMENT, rng.JOB,
                rng.JOB_PLACE, rng.RETIREMENT, rng.NEO_RURAL, rng.DISSOLUTION,
                rng.FORMATION, rng.EMIGRATION, rng.IMMIGRATION, rng.SYNTH_PROFILE,
                rng.SYNTH_INCOME, rng.SYNTH_TELEWORK, rng.SYNTH_DAYS, rng.SYNTH_INCOME_ANGLE,
                rng.SYNTH_AGE_CLASS, rng.SYNTH_AGE)
    for seed in (0, 1, 7, 2**40 + 3):
        for month in (-1, 0, 24_240, 24_360):  # -1: the population's synthesis draws
            for purpose in purposes:
                fast = rng.uniforms(seed, households, month, purpose)
                twin = [rng.uniform_py(seed, int(h), month, purpose) for h in households]
                assert fast.tolist() == twin
    for h in (0, 5, 2**50):
        assert rng.uniform(3, h, 24_245, rng.CHOICE) == rng.uniform_py(3, h, 24_245, rng.CHOICE)


def _state(ref: MesaReference, keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    return {k: np.array([getattr(a, k) for a in ref.households]) for k in keys}


def _boundary_gap(ref: MesaReference, h: int) -> float:
    """Relative distance (to the total weight) of mover ``h``'s choice draw to the nearest
    edge of its destination's interval of the reference cumulative weights: float32
    utilities can change a choice only when this is tiny."""
    cumulative = ref.households[h].cumulative
    pick = ref.last_chosen[h]
    target = rng.uniform_py(ref.seed, h, ref.month - 1, rng.CHOICE) * cumulative[-1]
    lower = cumulative[pick - 1] if pick else 0.0
    return min(target - lower, cumulative[pick] - target) / cumulative[-1]


def _differences(fast: MigrationModel, ref: MesaReference) -> list[str]:
    """What differs this month, stage by stage in the order of the month, naming the
    households. Demographic events, decisions, new jobs, new households, the capacity
    lottery, relocation and retirement are float64 or integer in both paths: any
    difference there is a bug. Only choices may differ by float32 rounding, and only for
    movers whose draw lies within ``FLOAT32_BOUNDARY`` of a boundary of the cumulative
    probabilities."""
    sub = fast.submodels
    decision, choice, demography = sub.decision, sub.choice, sub.demography
    if len(ref.households) != len(fast.households):
        return [f"{len(fast.households)} households in the fast path, "
                f"{len(ref.households)} in the reference (new households differ)"]
    events = np.array(ref.last_events, dtype=np.int8)
    if events.size:  # the draws of the households alive before this month's new ones
        wrong = np.flatnonzero(demography.events != events)
        if wrong.size:
            return [f"demographic events differ for {wrong.size} households, e.g. "
                    f"{_examples(wrong, demography.events, events)} (fast, reference event)"]
    fast_reasons = np.zeros(len(ref.households), dtype=np.int8)
    fast_reasons[decision.movers] = decision.why
    ref_reasons = np.array(ref.last_reasons, dtype=np.int8)
    wrong = np.flatnonzero(fast_reasons != ref_reasons)
    if wrong.size:
        return [f"decisions differ (float64 in both: not rounding) for {wrong.size} "
                f"households, e.g. {_examples(wrong, fast_reasons, ref_reasons)} "
                "(fast, reference reason codes after the move's relabelling)"]
    changers = dict(zip(*(a.tolist() for a in decision.old_jobs), strict=True))
    ref_changers = {a.index: a.former_job for a in ref.job_changers}
    if changers != ref_changers:
        return [f"job changers (with a new job) differ: household: former job, fast "
                f"{_first(changers)}, reference {_first(ref_changers)}"]
    fast_chosen = dict(zip(decision.movers.tolist(), choice.chosen.tolist(), strict=True))
    differ = {h: (fast_chosen[h], ref.last_chosen[h]) for h in fast_chosen
              if fast_chosen[h] != ref.last_chosen[h]}
    if differ:
        gaps = {h: _boundary_gap(ref, h) for h in differ}
        far = {h: g for h, g in gaps.items() if g >= FLOAT32_BOUNDARY}
        if far:
            return [f"choices differ for {len(differ)} movers, {len(far)} of them NOT near a "
                    f"boundary (not float32 rounding): household: (fast, reference "
                    f"destination, relative gap) {_first({h: (*differ[h], far[h]) for h in far})}"]
        return [f"choices differ only for movers whose draw lies within float32 rounding of "
                f"a boundary: {_first({h: (*differ[h], gaps[h]) for h in differ})}; none "
                "expected with this seed"]
    problems = []
    fast_moved = dict(zip(decision.movers.tolist(), sub.capacity.moved.tolist(), strict=True))
    served = sorted(h for h in fast_moved if fast_moved[h] != ref.last_moved[h])
    if served:
        problems.append(f"same choices, but the capacity lottery served differently "
                        f"households {served[:10]} (not rounding)")
    if "ageing" in sub and sub.ageing.retired.tolist() != ref.last_retired:
        problems.append(f"retirements differ: fast {sub.ageing.retired[:10].tolist()}, "
                        f"reference {ref.last_retired[:10]}")
    state = _state(ref, STATE)
    for key in STATE:
        h = np.flatnonzero(state[key] != getattr(fast.households, key))
        if h.size:
            problems.append(f"same decisions and choices, but {key} differs for households "
                            f"{_examples(h, getattr(fast.households, key), state[key])} "
                            "(fast, reference; not rounding)")
    income = _state(ref, INCOME)
    for key in INCOME:
        values = getattr(fast.households, key)
        h = np.flatnonzero(~np.isclose(income[key], values, rtol=INCOME_RTOL, atol=0.0))
        if h.size:
            problems.append(f"{key} differs beyond {INCOME_RTOL:g} for households "
                            f"{_examples(h, values, income[key])} (fast, reference)")
    return problems


def _examples(where: np.ndarray, fast: np.ndarray, ref: np.ndarray) -> dict:
    return {int(h): (fast[h].item(), ref[h].item()) for h in where[:10]}


def _first(items: dict, n: int = 10) -> dict:
    return dict(list(items.items())[:n])


def _per_territory(ref: MesaReference) -> dict[str, np.ndarray]:
    """What the fast model's records of the month must hold, from the reference's
    events, decisions, choices and lottery. Moves from abroad are not arrivals (nor
    departures); a new household from a parental home or a separation moves from its
    origin, within it or out of it."""
    n = ref.n
    counts = {k: np.zeros(n, dtype=np.int64) for k in (
        "arrivals", "departures", "internal_moves", "displaced", "wanted_arrivals",
        "formed", "from_abroad", "dissolved", "to_abroad")}
    for h, destination in ref.last_chosen.items():
        origin, reason = ref.last_origin[h], ref.last_reasons[h]
        if destination != origin:
            counts["wanted_arrivals"][destination] += 1
        if not ref.last_moved[h]:
            continue
        if reason == FORMATION:
            counts["formed"][destination] += 1
        if reason == ABROAD:
            counts["from_abroad"][destination] += 1
            continue
        if destination == origin:
            counts["internal_moves"][origin] += 1
        else:
            counts["arrivals"][destination] += 1
            counts["departures"][origin] += 1
        if reason == DISPLACED:
            counts["displaced"][origin] += 1
    for agent, event in zip(ref.households, ref.last_events, strict=False):
        if event in (DISSOLVES, EMIGRATES):
            counts["dissolved" if event == DISSOLVES else "to_abroad"][agent.home] += 1
    counts["unmet_demand"] = np.array(ref.last_unmet)
    return counts


def _assert_same_month(fast: MigrationModel, ref: MesaReference) -> None:
    """Same events, decisions, choices, lottery and household state, same per-territory
    records and stock, prices within float32 rounding; a failure names the households
    that differ and blames float32 rounding only when every differing choice is on a
    boundary."""
    month = calendar.label(ref.month - 1)
    problems = _differences(fast, ref)
    assert not problems, f"month {month}: " + "; ".join(problems)
    records = fast.submodels.records.rows[-1]
    for key, counts in _per_territory(ref).items():
        np.testing.assert_array_equal(records[key], counts, err_msg=f"{key}, month {month}")
    assert fast.last == {"movers": len(ref.last_chosen), "moved": sum(ref.last_moved.values())}
    for key in ("occupied", "vacant", "dwellings", "by_profile"):
        np.testing.assert_array_equal(getattr(fast.stock, key), getattr(ref, key), err_msg=key)
    market = fast.submodels.market
    np.testing.assert_allclose(ref.price, market.price, rtol=1e-4, err_msg=f"price, {month}")
    np.testing.assert_allclose(ref.rent, market.rent, rtol=1e-4, err_msg=f"rent, {month}")


def _run_in_lockstep(fast: MigrationModel, reference: type[MesaReference]
                     ) -> tuple[Counter, list[int]]:
    """Step ``fast`` and its reference month after month, asserting the same month each
    time; count what happened (reasons, events, unmet demand, retirements, age class
    crossings, rural projects started, job changers who kept their former job, job
    changes within reach, jobs near home when telework fell), and the telework days of
    each month."""
    ref = reference(fast)  # before the fast model steps
    seen: Counter = Counter()
    telework = []
    neo_rural = fast.profiles.index("neo_rural")
    while fast.running:
        before = [(a.profile, a.segment) for a in ref.households]
        fast.step()
        ref.step()
        _assert_same_month(fast, ref)
        seen.update(ref.last_reasons)
        seen.update(f"event {e}" for e in ref.last_events)
        seen["unmet"] += sum(ref.last_unmet)
        seen["retired"] += len(ref.last_retired)
        seen["in reach"] += len(ref.last_in_reach)
        seen["job near home"] += len(ref.last_job_near_home)
        seen["former job kept"] += sum(not ref.last_moved[a.index] for a in ref.job_changers)
        for agent, (profile, segment) in zip(ref.households, before, strict=False):
            seen["crossing"] += agent.profile == profile and agent.segment != segment
            seen["project"] += agent.profile == neo_rural != profile
        telework.append(sum(a.telework_days for a in ref.households))
    return seen, telework


def test_the_reference_takes_the_same_decisions_and_reaches_the_same_state_every_month(
        reference):
    """Paris (a shocked origin class), Oise, Aveyron and Lozère from January 2020 for 20
    months (household types are compacted after December, the strict comparison goes on
    with the new ids): telework jumps in March 2020 (a new period, in which managers
    telework 4.6 days, so that some full-time teleworkers change jobs without moving) as
    the COVID shock starts, and falls in July 2021 (workers whose job falls out of reach
    take one near home); Paris's few vacant dwellings at this scale make the capacity
    lottery bind (unserved movers, new households and job changers); construction,
    above its base rate, is switched on. Every path of the month is taken: each reason,
    each demographic event, retirements, class crossings, rural projects."""
    fast = MigrationModel("remote50", scale=0.002, months=20, rng=1, overrides=[
        *AREA, "start=2020-01", "scenario.telework.1.days.manager=4.6",
        "model.construction.cost_m2=500", "model.construction.rate=0.05",
        "model.market.vacancy_weight=0.5"])
    dwellings = fast.stock.dwellings.copy()
    seen, telework = _run_in_lockstep(fast, reference)
    # the oracle went through every path of the step
    assert seen[ORDINARY] > 500 and seen[JOB_CHANGE] > 50 and seen[FORMATION] > 100
    assert all(seen[r] > 0 for r in (DISPLACED, RETURN, TELEWORK, ABROAD))
    assert all(seen[f"event {e}"] > 0 for e in (DISSOLVES, EMIGRATES, LEAVES_HOME, SEPARATES))
    assert all(seen[k] > 0 for k in ("unmet", "retired", "crossing", "project",
                                     "former job kept", "in reach", "job near home"))
    assert (fast.stock.dwellings > dwellings).any()
    assert telework[2] > 2 * telework[1] > 0  # a new period from March 2020
    assert telework[18] < telework[17]        # and one from July 2021


def test_the_reference_follows_a_run_without_demography(reference):
    """With ``model.demography.enabled=false`` nobody forms, dissolves, arrives or
    leaves: the reference follows the fast path there too."""
    fast = MigrationModel("remote50", scale=0.002, months=3, rng=3, overrides=[
        *AREA, "start=2021-11", "model.demography.enabled=false"])
    n = len(fast.households)
    seen, _ = _run_in_lockstep(fast, reference)
    assert len(fast.households) == n and fast.households.alive.all()
    assert seen[ORDINARY] > 100 and seen[FORMATION] == seen[ABROAD] == 0


def test_the_reference_refuses_scenarios_with_policies(reference):
    fast = MigrationModel("baseline", scale=0.002, months=1, overrides=[
        'territory.departements=["12"]', "+scenario.policies=[{_target_: "
        "migrasim.policies.AccueilMission, group: petr_haut_rouergue}]"])
    with pytest.raises(ValueError, match="does not support policies"):
        reference(fast)


def _move_shares(destination_class: np.ndarray, counts: np.ndarray, internal: int
                 ) -> np.ndarray:
    """Share of moves by destination hierarchy class, then the within-EPCI share."""
    by_class = np.bincount(destination_class, weights=counts, minlength=len(HIERARCHY))
    return np.append(by_class, internal) / counts.sum()


def test_moves_by_destination_class_match_on_a_larger_area(reference):
    """Île-de-France's Paris, Seine-et-Marne and Oise with Normandy's Seine-Maritime and
    Eure (every hierarchy class), around remote50's January 2022 telework jump. With the
    same draws the shares are identical unless float32 moved a few boundary choices."""
    fast = MigrationModel("remote50", scale=0.01, months=6, rng=2, overrides=[
        'territory.departements=["75","77","60","76","27"]', "start=2021-10"])
    ref = reference(fast)
    hier = fast.territories.hierarchy_index
    fast_moves = np.zeros(len(hier))
    fast_internal = 0
    ref_moves = np.zeros(len(hier))
    ref_internal = 0
    while fast.running:
        fast.step()
        ref.step()
        records = fast.submodels.records.rows[-1]
        fast_moves += records["arrivals"] + records["internal_moves"]
        fast_internal += records["internal_moves"].sum()
        for h, moved in ref.last_moved.items():
            if moved and ref.last_reasons[h] != ABROAD:  # records count moves in France
                ref_moves[ref.last_chosen[h]] += 1
                ref_internal += ref.last_chosen[h] == ref.last_origin[h]
    assert ref_moves.sum() > 2000
    fast_shares = _move_shares(hier, fast_moves, fast_internal)
    ref_shares = _move_shares(hier, ref_moves, ref_internal)
    np.testing.assert_allclose(ref_shares, fast_shares, atol=0.01)


def test_the_market_answers_the_same_expected_demand(reference):
    """Expected arrivals and departures (hazards × choice probabilities over household
    types) of the fast path equal the reference's, territory by territory."""
    fast = MigrationModel("remote50", scale=0.002, months=1, rng=4, overrides=AREA)
    ref = reference(fast)
    decision, ch = fast.submodels.decision, fast.submodels.choice
    types = household_types(fast.types, decision.decide(fast, fast.month)[1])
    arrivals, departures = fast.submodels.market.expected_flows(
        types, ch.lookup(fast, ch.territory_terms(fast)))
    ref.decide()  # the reference sums the hazards by type when deciding
    ref_arrivals, ref_departures = ref.expected_flows()
    np.testing.assert_allclose(arrivals, ref_arrivals, rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(departures, ref_departures, rtol=1e-5, atol=1e-9)
    assert arrivals.sum() > 0


def test_the_reference_follows_workers_who_cross_the_border(reference):
    """Haute-Savoie and Moselle, with Geneva, Lausanne, Luxembourg and Saarbrücken next
    door: a worker's job may be a pole across the border (job site n + k), in the commute
    term, the reach rule, the household types and the draw of a new job."""
    fast = MigrationModel("remote50", scale=0.003, months=6, rng=5, overrides=[
        'territory.departements=["74","57"]', "start=2019-09"])
    n, hh = len(fast.territories), fast.households
    start = hh.job.copy()
    assert (start >= n).sum() > 100
    seen, _ = _run_in_lockstep(fast, reference)
    assert seen[ORDINARY] > 100 and seen[JOB_CHANGE] > 10
    job, moved = hh.job[:start.size], hh.origin[:start.size] >= 0
    assert ((job >= n) & (start < n)).any()    # new jobs drawn across the border
    assert ((job < n) & (start >= n)).any()    # and left for one in France
    assert ((job >= n) & (start >= n) & moved).any()  # moved, keeping a job abroad in reach
