"""Each lever alone, with the sign of its effect.

Policies act on the model only through the levers of submodels/levers.py, set afresh
every month: a utility bonus per (profile, territory), a multiplier of newcomers' move
and project-failure hazards per (profile, territory), a construction cap per territory
(the levers of the other policies: tests/test_policies.py). Telework
acts through the commute and telework terms of the choice utility, a scenario shock
through move-hazard multipliers. A baseline and a policy model built with the same seed
draw the same numbers (common random numbers), so most comparisons below are made
household by household: a lever that should only lower some hazards must only remove
movers, and only among the households it targets.
"""

import json

import numpy as np
import pytest

from migrasim import calendar, rng
from migrasim.ages import N_AGES
from migrasim.errors import ConfigError
from migrasim.kernels import choice
from migrasim.kernels.decision import NEWCOMER_MONTHS, ORDINARY, RETURN
from migrasim.model import MigrationModel
from migrasim.policies import AccueilMission, ConstructionCap
from migrasim.territories.classification import HIERARCHY

AVEYRON_LOZERE = 'territory.departements=["12","48"]'  # 29 EPCI, fast to build
PETR = "petr_haut_rouergue"
PETR_CODES = ["200067171", "200067478", "200068484"]  # its three communautés de communes
RODEZ = "241200187"  # CA Rodez Agglomération, the only CA of the area
PROFILES = ("manager", "hybrid", "neo_rural", "retiree", "precarious", "stable")
TELEWORK_TERMS = ("broadband", "coworking", "amenities_telework")


def accueil(**options) -> dict:
    return {"_target_": "migrasim.policies.AccueilMission", **options}


def cap(**options) -> dict:
    return {"_target_": "migrasim.policies.ConstructionCap", **options}


def policies(*specs: dict) -> str:
    """The override adding ``specs`` to the scenario's policies (hydra syntax)."""
    def value(v):
        return json.dumps(v) if isinstance(v, str | list) else repr(v)
    items = ", ".join("{" + ", ".join(f"{k}: {value(v)}" for k, v in s.items()) + "}"
                      for s in specs)
    return f"+scenario.policies=[{items}]"


def every_profile(coefficient: str, value: float) -> str:
    return f"model.choice.{coefficient}={{{', '.join(f'{p}: {value}' for p in PROFILES)}}}"


def make(*specs: dict, scale: float = 0.01, months: int = 3, seed: int = 1,
         extra: tuple[str, ...] | list[str] = (), scenario: str = "baseline",
         like: MigrationModel | None = None, fit: bool = True) -> MigrationModel:
    """A model of Aveyron and Lozère under the policies ``specs``. ``like``: share the
    study area and territory constants of that model (as a scenario and its comparison
    run do); ``fit=False``: no territory constants (tests of the levers alone)."""
    overrides = [AVEYRON_LOZERE, *extra, *([policies(*specs)] if specs else [])]
    if not fit:
        overrides.append("model.equilibrium.enabled=false")
    shared = {} if like is None else {"area": like.territories,
                                      "constants": like.submodels.constants.values}
    return MigrationModel(scenario, scale=scale, months=months, rng=seed, collect=False,
                          overrides=overrides, **shared)


def first_month_levers(m: MigrationModel) -> MigrationModel:
    """Set the levers as the first step's policies do, before anyone decides."""
    m.submodels.policies.step(m)
    return m


def targeted(m: MigrationModel, codes: list[str]) -> np.ndarray:
    """Mask over the territories of the study area: those with the given codes."""
    return np.isin(m.territories.codes, codes)


def tables(m: MigrationModel) -> choice.Tables:
    ch = m.submodels.choice
    return ch.lookup(m, ch.territory_terms(m))


def log_probabilities(m, t, h, days):
    """log P(j) over every territory j for household ``h`` teleworking ``days`` a week."""
    hh = m.households
    return np.log(choice.probabilities(t, int(hh.segment[h]), int(hh.home[h]),
                                       int(hh.job[h]), days / 5.0, 1.0 / hh.budget[h]))


def per_mover(m: MigrationModel, values: np.ndarray) -> dict[int, object]:
    """This month's ``values`` (one per mover) keyed by household."""
    return dict(zip(m.submodels.decision.movers.tolist(), values.tolist(), strict=True))


def spread(x: np.ndarray) -> float:
    """How far ``x`` is from a constant (a logit's utilities are defined up to one)."""
    return float(np.ptp(x))


# --- Telework ------------------------------------------------------------------------


def test_with_the_telework_terms_at_zero_telework_only_discounts_the_commute():
    """V(j | d days) − V(j | 0) = commute[p] · minutes(j, job) · (−d / 5) for every
    territory: a teleworker commutes (5 − d) / 5 of the week. A commute term without the
    telework factor would leave the utilities unchanged."""
    m = make(extra=[every_profile(k, 0.0) for k in TELEWORK_TERMS], fit=False)
    ch, hh = m.submodels.choice, m.households
    t = tables(m)
    workers = np.flatnonzero(hh.job >= 0)
    assert workers.size > 500
    largest = 0.0
    for h in workers[::15]:
        p, w = int(hh.profile[h]), int(hh.job[h])
        minutes = ch.commute_min[:, w]
        at_home = log_probabilities(m, t, h, 0)
        for days in (1, 2, 3, 4, 5):
            shift = log_probabilities(m, t, h, days) - at_home
            expected = ch.coef["commute"][p] * minutes * (-days / 5)
            assert spread(shift - expected) < 1e-4, (h, days)
            # sign: telework favours the territories far from the job
            assert np.all(shift[minutes > minutes[w]] > shift[w])
            largest = max(largest, spread(expected))
    assert largest > 2.0  # the commute term was large enough to matter


def test_with_the_commute_coefficient_at_zero_telework_only_adds_the_telework_terms():
    """The converse: V(j | d) − V(j | 0) = (d / 5) · (broadband[p] · bb(j) + coworking[p]
    · cw(j) + amenities_telework[p] · amen(j)); where one teleworks, the place matters."""
    m = make(extra=[every_profile("commute", 0.0)], fit=False)
    ch, hh = m.submodels.choice, m.households
    c, s = ch.coef, ch.scores
    t = tables(m)
    largest = 0.0
    for h in np.flatnonzero(hh.job >= 0)[::15]:
        p = int(hh.profile[h])
        per_day = (c["broadband"][p] * s["broadband"] + c["coworking"][p] * s["coworking"]
                   + c["amenities_telework"][p] * s["amenities"]) / 5
        at_home = log_probabilities(m, t, h, 0)
        for days in (1, 3, 5):
            shift = log_probabilities(m, t, h, days) - at_home
            assert spread(shift - days * per_day) < 1e-4, (h, days)
            largest = max(largest, spread(days * per_day))
    assert largest > 0.3


@pytest.mark.parametrize("alternatives", ["null", "8"],
                         ids=["every territory", "sampled alternatives"])
def test_a_full_time_teleworker_chooses_regardless_of_where_the_job_is(alternatives):
    """Five telework days leave no commute: moving every worker's job to the farthest
    territory changes no choice (same draws), in the full and in the sampled choice set.
    Without telework the same move of the jobs changes many choices."""
    m = make(extra=[f"model.choice.sampling.alternatives={alternatives}"],
             fit=False)
    ch, hh = m.submodels.choice, m.households
    assert (ch.sample is None) == (alternatives == "null")
    movers = np.flatnonzero(hh.job >= 0)  # every worker, as if moving this month
    reason = np.full(movers.size, ORDINARY, dtype=np.int8)
    t = tables(m)
    job = hh.job[movers].copy()
    far_job = np.argmax(ch.commute_min[job], axis=1).astype(hh.job.dtype)

    def chosen(days, jobs):
        hh.telework_days[movers] = days
        hh.job[movers] = jobs
        return ch.choose(m, m.month, movers, reason, t)

    np.testing.assert_array_equal(chosen(5, job), chosen(5, far_job))
    assert (chosen(0, job) != chosen(0, far_job)).mean() > 0.1


# --- Welcome mission (AccueilMission) ------------------------------------------------

MARKETING = accueil(group=PETR, marketing_bonus=0.5, retention=1.0)
RETENTION = accueil(group=PETR, marketing_bonus=0.0, retention=0.5)


def test_marketing_alone_adds_its_bonus_to_the_utility_of_the_targeted_territories():
    """log P(j) rises by exactly the bonus in the PETR relative to elsewhere, for every
    household; the territory constants, fitted before any policy acts, are unchanged."""
    base, policy = first_month_levers(make()), first_month_levers(make(MARKETING))
    petr = targeted(policy, PETR_CODES)
    np.testing.assert_array_equal(policy.levers.utility,
                                  np.broadcast_to(0.5 * petr, policy.levers.utility.shape))
    np.testing.assert_array_equal(policy.levers.newcomer_hazard, 1.0)
    np.testing.assert_array_equal(base.submodels.constants.values,
                                  policy.submodels.constants.values)
    tb, tp = tables(base), tables(policy)
    hh = policy.households
    for h in range(0, len(hh), 7):
        days = int(hh.telework_days[h])
        before, after = log_probabilities(base, tb, h, days), log_probabilities(policy, tp, h, days)
        assert spread(after - before - 0.5 * petr) < 1e-4, h
        assert np.exp(after[petr]).sum() > np.exp(before[petr]).sum()


def test_marketing_alone_brings_more_choices_to_the_targeted_territories_and_no_more_movers():
    """Same draws: every household that would choose the PETR still chooses it, more do —
    as many as the rise of their choice probabilities says; who moves is decided before
    choosing, so hazards and movers are unchanged."""
    base = make(scale=0.05)
    policy = make(MARKETING, scale=0.05, like=base)
    for m in (base, policy):
        first_month_levers(m)
    petr = np.flatnonzero(targeted(base, PETR_CODES))
    # the PETR's EPCI are neighbours in territory order, so a bonus widens their common
    # interval of the cumulative choice probabilities on both sides
    assert np.ptp(petr) == petr.size - 1
    everyone = np.arange(len(base.households))
    reason = np.full(everyone.size, ORDINARY, dtype=np.int8)
    before = base.submodels.choice.choose(base, base.month, everyone, reason, tables(base))
    after = policy.submodels.choice.choose(policy, policy.month, everyone, reason,
                                           tables(policy))
    chose_petr = np.isin(before, petr)
    assert np.isin(after[chose_petr], petr).all()
    # the PETR's interval only widens, so a household newly chooses it with probability
    # P_policy(PETR) − P_base(PETR): the gain is a sum of such Bernoulli draws
    hh, tb, tp = base.households, tables(base), tables(policy)
    widened = np.empty(everyone.size)
    for h in everyone:
        args = (int(hh.segment[h]), int(hh.home[h]), int(hh.job[h]),
                hh.telework_days[h] / 5.0, 1.0 / hh.budget[h])
        widened[h] = (choice.probabilities(tp, *args)[petr].sum()
                      - choice.probabilities(tb, *args)[petr].sum())
    assert (widened > 0).all()
    expected, sd = widened.sum(), np.sqrt((widened * (1 - widened)).sum())
    gain = int(np.isin(after, petr).sum() - chose_petr.sum())
    assert expected > 0.15 * chose_petr.sum()  # the bonus matters
    assert abs(gain - expected) < 5 * sd, (gain, expected, sd)
    for month in range(base.month, base.month + 3):
        reasons_b, sums_b = base.submodels.decision.decide(base, month)
        reasons_p, sums_p = policy.submodels.decision.decide(policy, month)
        np.testing.assert_array_equal(reasons_p, reasons_b)
        np.testing.assert_array_equal(sums_p, sums_b)


def test_retention_alone_multiplies_the_move_hazard_of_newcomers_in_the_targeted_territories():
    """Newcomers (arrived less than 36 months ago) living in the PETR: ordinary hazards
    × retention, summed by household type as the market's demand; at 36 months a
    household is no longer a newcomer and the lever leaves it alone."""
    base = first_month_levers(make(scale=0.05, fit=False))
    policy = first_month_levers(make(RETENTION, scale=0.05, fit=False))
    petr = targeted(policy, PETR_CODES)
    np.testing.assert_array_equal(policy.levers.newcomer_hazard, np.broadcast_to(
        np.where(petr, 0.5, 1.0), policy.levers.newcomer_hazard.shape))
    np.testing.assert_array_equal(policy.levers.utility, 0.0)
    in_petr = petr[base.types.columns()[0]]  # household types living in the PETR
    for since, factor in ((NEWCOMER_MONTHS - 1, 0.5), (NEWCOMER_MONTHS, 1.0)):
        sums = []
        for m in (base, policy):
            m.households.months_since_arrival[:] = since
            sums.append(m.submodels.decision.decide(m, m.month)[1])
        sums_b, sums_p = sums
        assert sums_b[0, in_petr].sum() > 0
        np.testing.assert_allclose(sums_p[:, in_petr], factor * sums_b[:, in_petr],
                                   rtol=1e-12, err_msg=f"{since} months since arrival")
        np.testing.assert_array_equal(sums_p[:, ~in_petr], sums_b[:, ~in_petr])


def test_retention_alone_multiplies_the_project_failure_hazard_of_targeted_newcomers():
    """A neo-rural newcomer's project in the (small rural) PETR fails when its failure
    draw is below the monthly failure rate × retention; without the mission, below the
    rate."""
    base = first_month_levers(make(scale=0.05, fit=False))
    policy = first_month_levers(make(RETENTION, scale=0.05, fit=False))
    neo_rural = PROFILES.index("neo_rural")
    petr = np.flatnonzero(targeted(base, PETR_CODES))
    households = np.flatnonzero(np.isin(base.households.home, petr))
    rate = base.submodels.decision.hazards.failure_rate
    counts = {}
    for m, factor in ((base, 1.0), (policy, 0.5)):
        m.households.profile[households] = neo_rural
        m.households.months_since_arrival[households] = 0
        failed = 0
        for month in range(m.month, m.month + 6):
            reason, _ = m.submodels.decision.decide(m, month)
            draw = rng.uniforms(m.seed, households, month, rng.FAILURE)
            np.testing.assert_array_equal(reason[households] == RETURN, draw < rate * factor)
            failed += int((reason[households] == RETURN).sum())
        counts[factor] = failed
    assert 0 < counts[0.5] < counts[1.0]


def test_retention_alone_lets_fewer_targeted_newcomers_leave_and_changes_no_one_else():
    """First month, same draws: the movers with the mission are the movers without it,
    less some newcomers of the PETR; everyone else moves alike and to the same place."""
    base = make(scale=0.05, months=1, seed=3)
    policy = make(RETENTION, scale=0.05, months=1, seed=3, like=base)
    petr = np.flatnonzero(targeted(base, PETR_CODES))
    hh = base.households
    newcomer_here = np.isin(hh.home, petr) & (hh.months_since_arrival < NEWCOMER_MONTHS)
    base.step()
    policy.step()
    movers_b, movers_p = base.submodels.decision.movers, policy.submodels.decision.movers
    assert np.isin(movers_p, movers_b).all()
    stayed = np.setdiff1d(movers_b, movers_p)
    assert stayed.size > 0 and newcomer_here[stayed].all()
    dest_b, dest_p = (per_mover(m, m.submodels.choice.chosen) for m in (base, policy))
    assert all(dest_p[h] == dest_b[h] for h in dest_p)
    # arrivals lose exactly the moves of the newcomers who stayed, nothing else
    origin_b = per_mover(base, base.submodels.decision.origin)
    served_b = per_mover(base, base.submodels.capacity.moved)
    lost = [dest_b[h] for h in stayed.tolist() if served_b[h] and dest_b[h] != origin_b[h]]
    rows_b, rows_p = base.submodels.records.rows[-1], policy.submodels.records.rows[-1]
    n = len(base.territories)
    np.testing.assert_array_equal(rows_b["arrivals"] - rows_p["arrivals"],
                                  np.bincount(np.array(lost, dtype=np.int64), minlength=n))
    petr_mask = targeted(base, PETR_CODES)
    assert rows_p["departures"][petr_mask].sum() < rows_b["departures"][petr_mask].sum()
    np.testing.assert_array_equal(rows_p["departures"][~petr_mask],
                                  rows_b["departures"][~petr_mask])


def test_a_retention_above_one_or_a_negative_cap_is_refused():
    """Retention multiplies hazards to keep newcomers: above 1 it would chase them away;
    a negative cap would demolish. Refused when the policy is made and when configured."""
    for bad in (1.5, -0.1):
        with pytest.raises(ConfigError) as refused:
            AccueilMission(group=PETR, retention=bad)
        assert str(refused.value) == (f"policies.AccueilMission.retention: {bad} is not "
                                      "allowed; allowed: a number in [0.0, 1.0]")
    with pytest.raises(ConfigError, match="retention"):
        make(accueil(group=PETR, retention=1.5), fit=False)
    with pytest.raises(ConfigError, match="dwellings_per_year"):
        ConstructionCap(group=PETR, dwellings_per_year=-12)


# --- Construction cap ----------------------------------------------------------------

BUILDING = ("model.construction.cost_m2=500", "model.construction.rate=0.5")
# a welcome mission raises the PETR's prices, so its EPCI build
ATTRACT = accueil(group=PETR, marketing_bonus=1.0, retention=1.0)
# CC des Causses à l'Aubrac, in the PETR: its cap first binds after CC Comtal, Lot et
# Truyère has started building, so the neighbours' identity below is not vacuous
CAPPED = "200068484"


def _built(m: MigrationModel, months: int) -> np.ndarray:
    """New dwellings per territory at the end of each month (months × territories)."""
    start = m.stock.dwellings.copy()
    out = []
    for _ in range(months):
        m.step()
        out.append(m.stock.dwellings - start)
    return np.array(out)


def test_a_binding_construction_cap_limits_building_in_its_territories_only():
    """60 real dwellings a year at 1:20 is 0.25 simulated a month: the capped EPCI builds
    at most 0.25 × months so far, less than without the cap; its PETR neighbours build
    exactly as without the cap until its smaller stock feeds back through prices."""
    months = 8
    uncapped = make(ATTRACT, scale=0.05, months=months, extra=BUILDING)
    capped = make(ATTRACT, cap(territories=[CAPPED], dwellings_per_year=60), scale=0.05,
                  months=months, extra=BUILDING, like=uncapped)
    where = targeted(capped, [CAPPED])
    per_month = 60 * capped.scale / 12
    built_u, built_c = _built(uncapped, months), _built(capped, months)
    np.testing.assert_array_equal(capped.levers.construction_cap,
                                  np.where(where, per_month, np.inf))
    assert built_u[-1, where].sum() > 4 * built_c[-1, where].sum() > 0  # the cap binds
    elapsed = np.arange(1, months + 1)
    assert (built_c[:, where].sum(axis=1) <= per_month * elapsed).all()
    first_binding = int(np.argmax(built_c[:, where].sum(axis=1) < built_u[:, where].sum(axis=1)))
    np.testing.assert_array_equal(built_c[:first_binding + 1, ~where],
                                  built_u[:first_binding + 1, ~where])
    neighbours = targeted(capped, PETR_CODES) & ~where
    assert built_c[first_binding, neighbours].sum() > 0  # they were building meanwhile


def test_a_construction_cap_above_what_the_market_builds_changes_nothing():
    """A cap of a billion dwellings a year never binds: identical records, month by month."""
    months = 8
    free = make(ATTRACT, scale=0.05, months=months, extra=BUILDING)
    huge = make(ATTRACT, cap(group=PETR, dwellings_per_year=1e9), scale=0.05, months=months,
                extra=BUILDING, like=free)
    built = _built(free, months)
    _built(huge, months)
    assert built[-1].sum() > 10  # something was built, so a cap could have bitten
    for row_f, row_h in zip(free.submodels.records.rows, huge.submodels.records.rows,
                            strict=True):
        for key in row_f:
            np.testing.assert_array_equal(row_h[key], row_f[key], err_msg=key)


# --- Dates, profiles and targets -----------------------------------------------------


def test_levers_are_set_from_the_first_to_the_last_month_of_each_policy_and_neutral_otherwise():
    """``from`` and ``until`` are both included; a missing ``from`` is the start, a
    missing ``until`` the end; levers are reset every month."""
    m = make(accueil(group=PETR, marketing_bonus=0.5, retention=0.5,
                     **{"from": "2019-03", "until": "2019-05"}),
             cap(kind="CA", dwellings_per_year=120, until="2019-02"),
             cap(territories=["244800470"], dwellings_per_year=240, **{"from": "2019-06"}),
             months=7, fit=False)
    petr, rodez, gevaudan = (targeted(m, c) for c in (PETR_CODES, [RODEZ], ["244800470"]))
    seen = {"utility": [], "hazard": [], "rodez": [], "gevaudan": []}
    while m.running:
        m.step()  # the levers keep the values of the month just run
        month, lev = calendar.label(m.month - 1), m.levers
        if lev.utility.any():
            np.testing.assert_array_equal(lev.utility, np.broadcast_to(0.5 * petr,
                                                                       lev.utility.shape))
            seen["utility"].append(month)
        if (lev.newcomer_hazard != 1).any():
            np.testing.assert_array_equal(lev.newcomer_hazard, np.broadcast_to(
                np.where(petr, 0.5, 1.0), lev.newcomer_hazard.shape))
            seen["hazard"].append(month)
        assert np.isinf(lev.construction_cap[~(rodez | gevaudan)]).all()
        if np.isfinite(lev.construction_cap[rodez]).all():
            assert lev.construction_cap[rodez] == pytest.approx(120 * m.scale / 12)
            seen["rodez"].append(month)
        if np.isfinite(lev.construction_cap[gevaudan]).all():
            assert lev.construction_cap[gevaudan] == pytest.approx(240 * m.scale / 12)
            seen["gevaudan"].append(month)
    assert seen == {"utility": ["2019-03", "2019-04", "2019-05"],
                    "hazard": ["2019-03", "2019-04", "2019-05"],
                    "rodez": ["2019-01", "2019-02"],
                    "gevaudan": ["2019-06", "2019-07"]}


def test_a_mission_for_some_profiles_markets_to_them_and_retains_them_only():
    """``profiles`` restricts the utility bonus and the retention to those rows (the
    newcomer-hazard lever is per profile and territory): in the PETR, newcomers of the
    targeted profiles have their hazards × retention, the others keep theirs."""
    base = first_month_levers(make(scale=0.05, fit=False))
    m = first_month_levers(make(accueil(group=PETR, marketing_bonus=0.5, retention=0.7,
                                        profiles=["neo_rural", "retiree"]), scale=0.05,
                                fit=False))
    petr = targeted(m, PETR_CODES)
    rows = [PROFILES.index("neo_rural"), PROFILES.index("retiree")]
    expected = np.zeros((len(PROFILES), len(petr)))
    expected[rows] = 0.5 * petr
    np.testing.assert_array_equal(m.levers.utility, expected)
    expected = np.ones((len(PROFILES), len(petr)))
    expected[rows] = np.where(petr, 0.7, 1.0)
    np.testing.assert_array_equal(m.levers.newcomer_hazard, expected)
    sums = []
    for model in (base, m):
        model.households.months_since_arrival[:] = 0  # every household a newcomer
        sums.append(model.submodels.decision.decide(model, model.month)[1])
    home, segment, _ = (c[:sums[0].shape[1]] for c in m.types.columns())
    retained = petr[home] & np.isin(segment // N_AGES, rows)
    assert retained.any() and (petr[home] & ~retained).any()
    np.testing.assert_allclose(sums[1][:, retained], 0.7 * sums[0][:, retained], rtol=1e-12)
    np.testing.assert_array_equal(sums[1][:, ~retained], sums[0][:, ~retained])
    with pytest.raises(ConfigError, match="profiles"):
        make(accueil(group=PETR, profiles=["astronaut"]))


@pytest.mark.parametrize(("target", "codes"), [
    ({"territories": [RODEZ, "200006930"]}, [RODEZ, "200006930"]),
    ({"group": PETR}, PETR_CODES),
    ({"kind": "CA"}, [RODEZ]),
    ({"group": PETR, "territories": ["200067171", RODEZ]}, ["200067171"]),  # both criteria
], ids=["codes", "group", "kind", "group and codes"])
def test_a_policy_targets_the_territories_matching_every_criterion(target, codes):
    """``territories`` (codes), ``group`` and ``kind`` select; given together, they
    intersect. Every lever of the policy acts there and nowhere else."""
    m = first_month_levers(make(accueil(marketing_bonus=0.5, retention=0.5, **target),
                                cap(dwellings_per_year=12, **target), fit=False))
    where = targeted(m, codes)
    assert where.sum() == len(codes)
    np.testing.assert_array_equal(m.levers.utility[0] > 0, where)
    np.testing.assert_array_equal(m.levers.newcomer_hazard[0] < 1, where)
    np.testing.assert_array_equal(np.isfinite(m.levers.construction_cap), where)


@pytest.mark.parametrize("target, message", [
    ({"group": PETR, "kind": "CA"}, "scenario.policies[0]: {'group': 'petr_haut_rouergue', "
     "'kind': 'CA'} is not allowed; allowed: targets with at least one territory in the "
     "study area (see territory.departements)"),
    ({"territories": ["123"]}, "scenario.policies[0].territories: ['123'] is not allowed; "
     "allowed: EPCI codes of the study area (unknown EPCI code(s) ['123'] in this study "
     "area)"),
], ids=["no territory matches", "unknown code"])
def test_a_policy_without_a_territory_in_the_study_area_is_refused(target, message):
    """A policy that would act nowhere is a configuration mistake, reported at once in one
    line naming the policy's place in the scenario, the value and what is allowed."""
    with pytest.raises(ConfigError) as refused:
        make(cap(dwellings_per_year=12, **target))
    assert str(refused.value) == message


def test_a_mission_built_in_code_for_a_profile_the_model_lacks_is_refused_at_start():
    """Outside a config (a notebook), the profiles are checked against the model's."""
    m = make(fit=False)
    mission = AccueilMission(group=PETR, profiles=["manager", "astronaut"])
    with pytest.raises(ConfigError) as refused:
        mission.start(m)
    assert str(refused.value) == (
        "policies.AccueilMission.profiles: 'astronaut' is not allowed; allowed: profiles of "
        "this model ['manager', 'hybrid', 'neo_rural', 'retiree', 'precarious', 'stable']")


def test_policies_on_the_same_territory_add_bonuses_multiply_retentions_and_keep_the_lower_cap():
    """Levers compose: utility bonuses add, retentions multiply, the tighter cap wins."""
    m = first_month_levers(make(
        accueil(group=PETR, marketing_bonus=0.5, retention=0.5),
        accueil(territories=[PETR_CODES[0]], marketing_bonus=0.25, retention=0.5),
        cap(group=PETR, dwellings_per_year=120), cap(territories=[PETR_CODES[0]],
                                                     dwellings_per_year=60), fit=False))
    first = targeted(m, PETR_CODES[:1])
    petr = targeted(m, PETR_CODES)
    np.testing.assert_array_equal(m.levers.utility[0], 0.5 * petr + 0.25 * first)
    np.testing.assert_array_equal(m.levers.newcomer_hazard[0],
                                  np.where(first, 0.25, np.where(petr, 0.5, 1.0)))
    np.testing.assert_allclose(m.levers.construction_cap,
                               np.where(first, 60 * m.scale / 12,
                                        np.where(petr, 120 * m.scale / 12, np.inf)))


# --- Shocks --------------------------------------------------------------------------

SHOCKED = ["manager", "hybrid", "neo_rural", "retiree"]  # covid.yaml: who reacts


def test_the_covid_shock_is_in_force_from_march_2020_to_june_2021_inclusive():
    """Its multipliers hit the listed profiles in Paris and the métropoles only, in its
    months only (both ends included); its preference multipliers likewise."""
    model = make(scenario="covid", fit=False)
    shocks, shock = model.submodels.shocks, model.config.scenario.shocks[0]
    during = np.ones((len(PROFILES), len(HIERARCHY)))
    rows = [PROFILES.index(p) for p in SHOCKED]
    during[rows, HIERARCHY.index("paris")] = shock.move_multiplier["paris"]
    during[rows, HIERARCHY.index("metropole")] = shock.move_multiplier["metropole"]
    assert (during > 1).sum() == 2 * len(SHOCKED)
    for month, expected, preference in (
            ("2020-02", np.ones_like(during), {}),
            ("2020-03", during, dict(shock.preference)),
            ("2021-06", during, dict(shock.preference)),
            ("2021-07", np.ones_like(during), {})):
        multiplier, pref = shocks.at(calendar.parse(month))
        np.testing.assert_array_equal(multiplier, expected, err_msg=month)
        assert pref == preference, month


def test_a_shock_multiplies_the_move_hazards_of_its_profiles_in_its_classes_only():
    """Paris, Lyon and Lozère from February 2020, covid with and without its shock: the
    same world in February; in March the hazards summed by household type are × the
    shock's Paris multiplier for the reacting profiles living in Paris, × its métropole
    multiplier in the métropole (covid.yaml: calibrated), unchanged for
    everyone else, and the shock only adds movers among them (same draws)."""
    def run(*extra):
        return MigrationModel("covid", scale=0.001, months=2, rng=2, collect=False, overrides=[
            'territory.departements=["75","69","48"]', "start=2020-02",
            "model.equilibrium.enabled=false", *extra])
    shocked, calm = run(), run("scenario.shocks=[]")
    hier = shocked.territories.hierarchy_index
    paris, metropole = (shocked.config.scenario.shocks[0].move_multiplier[c]
                        for c in ("paris", "metropole"))
    for month in ("2020-02", "2020-03"):
        shocked.step()
        calm.step()
        sums_s, sums_c = shocked.submodels.decision.type_sums, calm.submodels.decision.type_sums
        home, segment, _ = (c[:sums_s.shape[1]] for c in shocked.types.columns())
        profile = segment // N_AGES  # types are by segment: profile × age class
        factor = np.ones(sums_s.shape[1])
        if month == "2020-03":
            reacting = np.isin(profile, [PROFILES.index(p) for p in SHOCKED])
            factor[reacting & (hier[home] == HIERARCHY.index("paris"))] = paris
            factor[reacting & (hier[home] == HIERARCHY.index("metropole"))] = metropole
            assert (factor == paris).any() and (factor == metropole).any()
            assert (factor == 1).any() and paris > 1 and metropole > 1
        np.testing.assert_allclose(sums_s, factor * sums_c, rtol=1e-12, err_msg=month)
        movers_s, movers_c = shocked.submodels.decision.movers, calm.submodels.decision.movers
        assert np.isin(movers_c, movers_s).all()
        extra = np.setdiff1d(movers_s, movers_c).tolist()
        if month == "2020-02":
            assert not extra
        else:
            origin = per_mover(shocked, shocked.submodels.decision.origin)
            profile_of = per_mover(shocked, shocked.submodels.relocation.profile)
            assert extra
            assert all(PROFILES[profile_of[h]] in SHOCKED
                       and HIERARCHY[hier[origin[h]]] in ("paris", "metropole") for h in extra)
