"""Random streams: one stream per purpose, and each decision reads its own.

A draw is ``uniform(seed, household, month, purpose)`` (rng.py). The model relies on
the streams of different purposes being distinct and independent: the households that
move must not be the ones whose choice draw is small, and a change in one sub-model's
draws must not move anything another sub-model decides. The Mesa reference imports the
same purpose constants, so it cannot see two purposes that share a value, nor a kernel
that reads another purpose's stream consistently with it; these tests can.

Statistical bounds are "five sigma" (a false alarm about once in a million per check),
and every draw is deterministic, so a test either always passes or always fails.

Numba compiles ``uniform`` into the kernels, so the experiments that shift one stream run
the kernels' pure-Python ``py_func`` with the module-level ``uniform`` replaced (their
inner helpers stay compiled and take no draws); a first test checks that this harness
reproduces the compiled month exactly.
"""

import copy
from collections import Counter
from dataclasses import dataclass

import numba as nb
import numpy as np
import pytest

from migrasim import rng
from migrasim.ages import AGE_CLASSES, age_class
from migrasim.kernels import choice as choice_kernels
from migrasim.kernels import decision as decision_kernels
from migrasim.kernels import jobs as job_kernels
from migrasim.kernels.capacity import allocate
from migrasim.kernels.decision import (
    DISPLACED,
    FORMATION,
    JOB_CHANGE,
    ORDINARY,
    RETURN,
    STAY,
)
from migrasim.model import MigrationModel
from migrasim.submodels.choice import Sampling
from migrasim.territories.classification import HIERARCHY

SEED = 1
N_DRAWS = 100_000       # households per stream in the pairwise tests
N_CONDITIONAL = 1_000_000  # households of the movers' test (≈ 10,000 below the hazard)
HAZARD = 0.01           # a typical monthly move hazard (10 % a year ≈ 0.0088 a month)
# Frequent displacements and project failures, so that every reason has many households.
RATES = ["model.move.displacement.rate=0.5", "model.move.project_failure.annual_rate=0.99"]
FLOAT32_BOUNDARY = 1e-4  # as tests/test_reference.py: float32 utilities move a boundary
ALMOST_ONE = float(np.nextafter(1.0, 0.0))
DECISION_PURPOSES = (rng.DISPLACEMENT, rng.FAILURE, rng.JOB, rng.MOVE)
rng_uniforms = rng.uniforms  # the compiled function, kept while ``rng.uniforms`` is patched


# --- statistics by hand (scipy is not a dependency) ---------------------------------------

def _five_sigma(n: int) -> float:
    """Bound on |Pearson r| of two independent samples of size n (r ≈ N(0, 1/n))."""
    return 5.0 / np.sqrt(n)


def _ks(u: np.ndarray) -> float:
    """Kolmogorov-Smirnov distance between the sample and U[0, 1)."""
    s = np.sort(u)
    i = np.arange(1, s.size + 1)
    return float(max((i / s.size - s).max(), (s - (i - 1) / s.size).max()))


def _ks_bound(n: int) -> float:
    """P(√n·D > x) ≈ 2·exp(−2x²): x = 2.7 is a false alarm about once in a million."""
    return 2.7 / np.sqrt(n)


def _chi2_bound(df: int, z: float = 5.0) -> float:
    """Upper z-sigma quantile of χ²(df) (Wilson-Hilferty)."""
    a = 2.0 / (9.0 * df)
    return df * (1.0 - a + z * np.sqrt(a)) ** 3


def _chi2_uniform(cells: np.ndarray, k: int) -> float:
    """Pearson χ² of integer cells 0..k−1 against equal probabilities."""
    counts = np.bincount(cells, minlength=k)
    expected = cells.size / k
    return float(((counts - expected) ** 2 / expected).sum())


def _assert_uniform(u: np.ndarray, what: str, bins: int = 100) -> None:
    assert ((u >= 0) & (u < 1)).all(), what
    assert _ks(u) < _ks_bound(u.size), f"{what}: KS {_ks(u):.4f}"
    chi2 = _chi2_uniform((u * bins).astype(np.int64), bins)
    assert chi2 < _chi2_bound(bins - 1), f"{what}: χ² {chi2:.1f} on {bins} bins"


# --- the purposes ---------------------------------------------------------------------------

def _purposes() -> dict[str, int]:
    """Every public integer constant of ``migrasim.rng``: the purposes of the draws."""
    return {name: value for name, value in vars(rng).items()
            if name.isupper() and not name.startswith("_") and type(value) is int}


def _largest_sample_size() -> int:
    """The most alternatives a configuration may sample (``model.choice.sampling``), read
    from the schema's own validator: each is drawn with ``CHOICE_SAMPLE + k``."""
    check = next(m.func for m in Sampling.model_fields["alternatives"].metadata
                 if hasattr(m, "func"))

    def accepted(k: int) -> bool:
        try:
            check(k)
        except Exception:
            return False
        return True

    lo, hi = 1, 2**40
    assert accepted(lo) and not accepted(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if accepted(mid) else (lo, mid)
    return lo


# --- a month of the model, with one stream shifted -----------------------------------------

@dataclass
class Outcome:
    reason: np.ndarray  # per household (kernels.decision codes)
    movers: np.ndarray
    origin: np.ndarray
    chosen: np.ndarray  # per mover
    job: np.ndarray     # per mover, when choosing (a job changer's new job)
    moved: np.ndarray   # per mover
    unmet: np.ndarray   # per territory


class Month:
    """The first month of a small-scale model, up to the capacity step, replayable with
    the draws of some purposes shifted by one half (u → (u + ½) mod 1: still uniform and
    independent of the other purposes, but a different draw). The decision gives job
    changers their new job (households' jobs and types): each run starts again from the
    month's state."""

    def __init__(self, model: MigrationModel):
        self.model = model
        for submodel in model.schedule:
            if submodel.name == "decision":
                break
            submodel.step(model)  # policies, telework, shocks: this month's conditions
        self.month = model.month
        self.vacant = model.stock.vacant.copy()
        self.job = model.households.job.copy()
        self.types = copy.deepcopy(model.types)

    @staticmethod
    def shifted(purposes):
        def uniform(seed, household, month, purpose):
            u = rng.uniform(seed, household, month, purpose)
            return (u + 0.5) % 1.0 if purpose in purposes else u

        def uniforms(seed, households, month, purpose):
            u = rng_uniforms(seed, households, month, purpose)
            return (u + 0.5) % 1.0 if purpose in purposes else u

        return uniform, uniforms

    def run(self, shift=frozenset(), *, compiled: bool = False,
            vacant: np.ndarray | None = None) -> Outcome:
        m = self.model
        m.stock.vacant[:] = self.vacant if vacant is None else vacant
        try:
            with pytest.MonkeyPatch.context() as mp:
                if not compiled:
                    uniform, uniforms = self.shifted(frozenset(shift))
                    python_kernels(mp, uniform)
                    mp.setattr(rng, "uniforms", uniforms)  # the capacity lottery's draws
                for name in ("decision", "choice", "capacity"):
                    m.submodels[name].step(m)
            d, c = m.submodels.decision, m.submodels.capacity
            reason = np.zeros(len(m.households), dtype=np.int8)
            reason[d.movers] = d.why
            return Outcome(reason, d.movers.copy(), d.origin.copy(),
                           m.submodels.choice.chosen.copy(), m.households.job[d.movers],
                           c.moved.copy(), c.unmet.copy())
        finally:
            m.stock.vacant[:] = self.vacant
            m.households.job[:] = self.job
            m.types = copy.deepcopy(self.types)


def python_kernels(mp: pytest.MonkeyPatch, uniform) -> None:
    """Run the decision, new job and choice kernels as Python, drawing from ``uniform``."""
    for module in (job_kernels, choice_kernels):
        mp.setattr(module, "uniform", uniform)
    # the decision mixes a household's stream once for its draws: (seed, key) stands for it
    mp.setattr(decision_kernels, "stream", lambda seed, household: (seed, household))
    mp.setattr(decision_kernels, "draw",
               lambda stream, month, purpose: uniform(*stream, month, purpose))
    mp.setattr(decision_kernels, "decide", decision_kernels.decide.py_func)
    mp.setattr(job_kernels, "new_jobs", job_kernels.new_jobs.py_func)
    mp.setattr(choice_kernels, "choose", choice_kernels.choose.py_func)
    mp.setattr(choice_kernels, "choose_sampled", choice_kernels.choose_sampled.py_func)


@pytest.fixture(scope="module")
def month():
    return Month(MigrationModel("baseline", scale=0.002, months=3, rng=SEED, collect=False,
                                overrides=RATES))


@pytest.fixture(scope="module")
def base(month):
    return month.run(compiled=True)


def _scarce(month: Month) -> np.ndarray:
    """At most one vacant dwelling per territory: movers compete for them."""
    return np.minimum(month.vacant, 1)


def _destinations(out: Outcome) -> dict[tuple[int, int], int]:
    """(household, reason) → chosen destination."""
    return {(int(h), int(out.reason[h])): int(j) for h, j in zip(out.movers, out.chosen,
                                                                   strict=True)}


# --- 1. every purpose is its own stream -----------------------------------------------------

def test_every_purpose_constant_is_distinct_and_clear_of_the_sampled_alternatives(month):
    """Two purposes with one value would be one stream: e.g. choosing with the draw that
    decided the move (then only small draws choose, and destinations skew)."""
    purposes = _purposes()
    assert {"MOVE", "CHOICE", "LOTTERY", "FAILURE", "DISPLACEMENT", "CHOICE_SAMPLE",
            "SYNTH_PROFILE", "SYNTH_TERRITORY"} <= set(purposes)
    assert all(v >= 0 for v in purposes.values()), purposes  # a purpose is an unsigned key
    by_value = Counter(purposes.values())
    assert not [n for n, v in purposes.items() if by_value[v] > 1], purposes
    # the k-th sampled alternative draws CHOICE_SAMPLE + k: k up to the largest sample
    # allowed, and at least up to the number of territories of the whole country
    n_sampled = _largest_sample_size()
    assert n_sampled >= max(10_000, len(month.model.territories))  # 1,232 EPCI
    sampled = range(rng.CHOICE_SAMPLE, rng.CHOICE_SAMPLE + n_sampled)
    assert not {n: v for n, v in purposes.items()
                if v in sampled and n != "CHOICE_SAMPLE"}


@nb.njit
def _draws_of(seed, households, months, purposes):
    out = np.empty((months.size, purposes.size, households))
    for i in range(months.size):
        for j in range(purposes.size):
            for h in range(households):
                out[i, j, h] = rng.uniform(seed, h, months[i], purposes[j])
    return out


def test_no_month_and_purpose_replays_the_draws_of_another(month):
    """The stream key mixes month and purpose: no (month, purpose) may give the draws of
    another one (as ``month + purpose`` would), over the synthesis month and ten years of
    months, for every purpose and every sampled alternative."""
    purposes = sorted({*_purposes().values(),
                       *range(rng.CHOICE_SAMPLE, rng.CHOICE_SAMPLE + _largest_sample_size())})
    months = np.array([-1, *range(month.month, month.month + 120)], dtype=np.int64)
    d = _draws_of(SEED, 2, months, np.array(purposes, dtype=np.int64))
    keys = (d[..., 0] + 1j * d[..., 1]).ravel()  # households 0 and 1
    assert np.unique(keys).size == keys.size


def _streams(month: int) -> dict[str, np.ndarray]:
    households = np.arange(N_DRAWS, dtype=np.int64)
    keys = {name: (SEED, month, v) for name, v in _purposes().items()}
    for k in (1, 15, 1231, 9_999):
        keys[f"CHOICE_SAMPLE+{k}"] = (SEED, month, rng.CHOICE_SAMPLE + k)
    keys["MOVE next month"] = (SEED, month + 1, rng.MOVE)
    keys["CHOICE next month"] = (SEED, month + 1, rng.CHOICE)
    keys["MOVE other seed"] = (SEED + 1, month, rng.MOVE)
    return {name: rng.uniforms(s, households, m, p) for name, (s, m, p) in keys.items()}


@pytest.mark.parametrize("when", ["synthesis", "first month"])
def test_every_stream_is_uniform_and_every_pair_is_independent(month, when):
    """Pearson r of every pair below 5/√n, the 10 × 10 joint histogram of every pair flat
    (χ², which also sees dependence that is not linear), and every stream uniform."""
    streams = _streams(-1 if when == "synthesis" else month.month)
    names = list(streams)
    u = np.array([streams[k] for k in names])
    for name, row in zip(names, u, strict=True):
        _assert_uniform(row, name)
    z = (u - u.mean(axis=1, keepdims=True)) / u.std(axis=1, keepdims=True)
    cells = (u * 10).astype(np.int64)
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            pair = f"{names[i]} × {names[j]}"
            r = float(np.mean(z[i] * z[j]))  # Pearson r
            assert abs(r) < _five_sigma(N_DRAWS), f"{pair}: r = {r:.4f}"
            chi2 = _chi2_uniform(cells[i] * 10 + cells[j], 100)
            assert chi2 < _chi2_bound(99), f"{pair}: χ² {chi2:.1f}"


def test_the_movers_other_draws_are_still_uniform(month):
    """Among households whose MOVE draw falls below a hazard (the movers), the choice,
    lottery, failure, displacement, job change, new job and sampling draws are still
    uniform on [0, 1): who moves says nothing about where to, or who is served first."""
    households = np.arange(N_CONDITIONAL, dtype=np.int64)
    movers = households[rng.uniforms(SEED, households, month.month, rng.MOVE) < HAZARD]
    assert abs(movers.size / N_CONDITIONAL - HAZARD) < 5 * np.sqrt(HAZARD / N_CONDITIONAL)
    for name in ("CHOICE", "LOTTERY", "FAILURE", "DISPLACEMENT", "JOB", "JOB_PLACE",
                 "CHOICE_SAMPLE"):
        u = rng.uniforms(SEED, movers, month.month, getattr(rng, name))
        _assert_uniform(u, f"{name} among movers", bins=20)


# --- 2. each kernel reads its own stream ----------------------------------------------------

def test_the_pure_python_kernels_with_true_draws_reproduce_the_compiled_month(month, base):
    """The harness of the experiments below: same draws, same month, bit for bit."""
    python = month.run()
    for field in ("reason", "movers", "origin", "chosen", "job", "moved", "unmet"):
        assert np.array_equal(getattr(python, field), getattr(base, field)), field
    counts = np.bincount(base.reason, minlength=JOB_CHANGE + 1)
    assert counts[ORDINARY] > 200 and counts[DISPLACED] > 200 and counts[RETURN] > 10
    assert counts[JOB_CHANGE] > 30
    assert not np.array_equal(base.job, month.job[base.movers])  # new jobs were drawn
    assert np.array_equal(month.model.households.job, month.job)  # and the state restored


def _decide_with(month: Month, uniform) -> np.ndarray:
    m = month.model
    with pytest.MonkeyPatch.context() as mp:
        python_kernels(mp, uniform)
        reason, _ = m.submodels.decision.decide(m, month.month)
    return reason


def _at_risk(month: Month) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Households that can be displaced, those whose project can fail and those who can
    change job (the rules of ``model.move``, written from the parameters)."""
    m = month.model
    hh, p = m.households, m.submodels.decision.params
    rent = m.submodels.market.rent[hh.home]
    burden = np.where(hh.owner, 0.0, rent / hh.budget)
    displaceable = (np.isin(hh.profile, [m.profiles.index(q) for q in p.displacement.profiles])
                    & ~hh.owner & (burden > p.displacement.threshold))
    failure = p.project_failure
    fragile = (np.isin(hh.profile, [m.profiles.index(q) for q in failure.profiles])
               & (hh.months_since_arrival < failure.months)
               & np.isin(m.territories.hierarchy_index[hh.home],
                         [HIERARCHY.index(c) for c in failure.classes]))
    rate = np.array([p.job_change.annual_rate[a] for a in AGE_CLASSES])
    can_change_job = (hh.job >= 0) & (rate[age_class(hh.age)] > 0)
    return displaceable, fragile, can_change_job


def test_each_reason_to_move_is_decided_by_its_own_stream(month):
    """Draws rigged to 0 for one purpose and to just below 1 for the others: a zero MOVE
    draw makes everyone an ordinary mover, a zero DISPLACEMENT draw displaces exactly the
    renters at risk, a zero FAILURE draw ends exactly the fragile projects, a zero JOB
    draw changes the job of exactly the workers of the age classes that change jobs;
    with every draw at zero, displacement comes first, then failure, then the job
    change, then the ordinary hazard."""
    displaceable, fragile, worker = _at_risk(month)
    assert displaceable.sum() > 500 and fragile.sum() > 50
    assert 1000 < worker.sum() < worker.size

    def rigged(*zero):
        return _decide_with(month, lambda s, h, m, purpose: 0.0 if purpose in zero
                            else ALMOST_ONE)

    assert (rigged() == STAY).all()
    assert (rigged(rng.MOVE) == ORDINARY).all()
    assert np.array_equal(rigged(rng.DISPLACEMENT), np.where(displaceable, DISPLACED, STAY))
    assert np.array_equal(rigged(rng.FAILURE), np.where(fragile, RETURN, STAY))
    assert np.array_equal(rigged(rng.JOB), np.where(worker, JOB_CHANGE, STAY))
    assert np.array_equal(rigged(*DECISION_PURPOSES), np.select(
        [displaceable, fragile, worker], [DISPLACED, RETURN, JOB_CHANGE], ORDINARY))


def _recorded(month: Month, call) -> tuple[list[tuple[int, int, int]], object]:
    """The (household, month, purpose) of every draw a kernel takes, and its result."""
    calls = []

    def uniform(seed, household, m, purpose):
        assert seed == SEED
        calls.append((int(household), int(m), int(purpose)))
        return rng.uniform(seed, household, m, purpose)

    with pytest.MonkeyPatch.context() as mp:
        python_kernels(mp, uniform)
        result = call()
    return calls, result


def test_the_decision_draws_only_decision_streams_of_this_month(month):
    """Each household's draws are its own, of this month, of the four decision purposes,
    one each at most. Every household draws JOB and MOVE (the kernel computes them
    branch-free; a draw decides only when no more pressing reason came first, and other
    purposes are other streams, so drawing it changes nothing else); only households at
    risk draw DISPLACEMENT or FAILURE."""
    m = month.model
    calls, (reason, _) = _recorded(month, lambda: m.submodels.decision.decide(m, month.month))
    assert {mo for _, mo, _ in calls} == {month.month}
    assert {p for _, _, p in calls} == set(DECISION_PURPOSES)
    assert len(set(calls)) == len(calls)
    drew = {p: np.zeros(len(m.households), dtype=bool) for p in DECISION_PURPOSES}
    for h, _, p in calls:
        drew[p][h] = True
    worker = m.households.job >= 0
    assert m.households.alive.all()  # no one has dissolved yet: everyone decides
    assert drew[rng.JOB].all() and drew[rng.MOVE].all()
    assert not drew[rng.DISPLACEMENT].all() and not drew[rng.FAILURE].all()
    assert (reason[~worker] != JOB_CHANGE).all()  # a JOB draw moves only workers
    assert drew[rng.DISPLACEMENT][reason == DISPLACED].all()
    assert drew[rng.FAILURE][reason == RETURN].all()
    assert (reason == JOB_CHANGE).sum() > 30


def test_each_choice_draws_the_movers_own_choice_stream_of_this_month(month, base):
    """One CHOICE draw per mover, for that household (not its rank among the movers) and
    this month; with sampled alternatives, also CHOICE_SAMPLE + k for its k-th sample."""
    m, ch = month.model, month.model.submodels.choice
    job = month.job.copy()
    job[base.movers] = base.job  # job changers chose around their new job
    hh = m.households.arrays()._replace(job=job)
    calls, chosen = _recorded(month, lambda: choice_kernels.choose(
        SEED, month.month, base.movers, base.reason[base.movers], hh, ch.tables, 8))
    assert Counter(calls) == Counter((int(h), month.month, rng.CHOICE) for h in base.movers)
    assert np.array_equal(chosen, base.chosen)

    size, movers = 16, base.movers[:200]
    sample = choice_kernels.Sample(*choice_kernels.sampling_tables(
        ch.log_dist, m.stock.dwellings, 1.0, 16), size)
    calls, _ = _recorded(month, lambda: choice_kernels.choose_sampled(
        SEED, month.month, movers, base.reason[movers], hh, ch.tables, 8, sample))
    assert Counter(calls) == Counter(
        (int(h), month.month, p) for h in movers
        for p in (rng.CHOICE, *range(rng.CHOICE_SAMPLE, rng.CHOICE_SAMPLE + size)))


def _cumulative(month: Month, out: Outcome) -> list[np.ndarray]:
    """Each mover's cumulative choice probabilities over the territories, in the order of
    the inverse-CDF search (the household's state when it chose: a job changer chooses
    around its new job)."""
    m, ch = month.model, month.model.submodels.choice
    hh = m.households
    bonus = ch.tables.return_bonus
    return [np.cumsum(choice_kernels.probabilities(
        ch.tables, int(hh.segment[h]), int(hh.home[h]), int(w),
        hh.telework_days[h] / 5.0, 1.0 / hh.budget[h],
        bonus if out.reason[h] == RETURN else 0.0, out.reason[h] == JOB_CHANGE))
        for h, w in zip(out.movers, out.job, strict=True)]


def test_each_mover_takes_the_destination_its_choice_draw_points_to(month, base):
    """The compiled kernel's destination is the inverse CDF of ``uniform_py(seed, h,
    month, CHOICE)`` over the mover's choice probabilities, but for draws within float32
    rounding of an edge of the chosen interval."""
    off = []
    for h, j, cum in zip(base.movers, base.chosen, _cumulative(month, base), strict=True):
        u = rng.uniform_py(SEED, int(h), month.month, rng.CHOICE)
        expected = min(int(np.searchsorted(cum, u * cum[-1], side="right")), cum.size - 1)
        if j != expected:
            lower = cum[j - 1] if j else 0.0
            assert lower - FLOAT32_BOUNDARY <= u * cum[-1] <= cum[j] + FLOAT32_BOUNDARY, (
                f"household {h}: draw {u:.6f} points to {expected}, chose {j}")
            off.append(h)
    assert len(off) <= 0.01 * base.movers.size


def test_movers_destinations_follow_their_choice_probabilities(month, base):
    """Randomised PIT: a point drawn in each chosen destination's interval of the
    cumulative probabilities is uniform if and only if the kernel's draws are. A choice
    drawn from the MOVE stream (or from any stream sharing its value) is below the move
    hazard for ordinary movers and piles up at the start of the territory order."""
    spread = np.random.default_rng(0)
    pit = []
    for j, cum in zip(base.chosen, _cumulative(month, base), strict=True):
        lower = cum[j - 1] if j else 0.0
        pit.append((lower + spread.uniform() * (cum[j] - lower)) / cum[-1])
    pit = np.clip(pit, 0.0, ALMOST_ONE)
    _assert_uniform(pit, "position of the choices in their CDF", bins=10)
    ordinary = base.reason[base.movers] == ORDINARY
    assert np.mean(pit[ordinary] < 0.05) < 0.1


def test_capacity_serves_movers_in_the_order_of_their_lottery_draws(month, base):
    """Where dwellings are scarce, who is served is decided by the LOTTERY stream."""
    scarce = _scarce(month)
    out = month.run(compiled=True, vacant=scarce)
    draws = [rng.uniform_py(SEED, int(h), month.month, rng.LOTTERY) for h in out.movers]
    unmet = np.zeros_like(out.unmet)
    moved = allocate(np.argsort(draws, kind="stable"), out.chosen, out.origin,
                     np.ones(out.movers.size), scarce.copy(), unmet,
                     out.reason[out.movers] >= FORMATION)
    assert np.array_equal(out.moved, moved) and np.array_equal(out.unmet, unmet)
    assert not out.moved.all()  # the lottery had something to decide


# --- 3. shifting one stream changes only what it decides ------------------------------------

@pytest.mark.parametrize(("purpose", "reason"), [
    (rng.MOVE, ORDINARY), (rng.FAILURE, RETURN), (rng.DISPLACEMENT, DISPLACED),
    (rng.JOB, JOB_CHANGE)], ids=["MOVE", "FAILURE", "DISPLACEMENT", "JOB"])
def test_shifting_one_decision_stream_changes_only_that_reason(month, base, purpose, reason):
    """Shifting the MOVE draws changes who moves for ordinary reasons, never who is
    displaced, whose project fails or who changes job (those are checked first);
    shifting FAILURE, DISPLACEMENT or JOB changes that reason, and the rest only through
    precedence: a household with the reason in neither run keeps its reason. Households
    moving for the same reason in both runs choose the same destination (job changers
    around the same new job): their choice and new job draws did not move."""
    shifted = month.run({purpose})
    had, has = base.reason == reason, shifted.reason == reason
    assert had.sum() > 10 and has.sum() > 10
    assert (had & has).sum() <= 0.05 * had.sum()  # other households, not the same ones
    neither = ~had & ~has
    assert np.array_equal(base.reason[neither], shifted.reason[neither])
    before, after = _destinations(base), _destinations(shifted)
    both = before.keys() & after.keys()
    assert len(both) > 100
    assert all(before[k] == after[k] for k in both)
    job_before, job_after = (dict(zip(o.movers.tolist(), o.job.tolist(), strict=True))
                             for o in (base, shifted))
    assert all(job_before[h] == job_after[h] for h, _ in both)


def test_shifting_the_choice_draws_changes_destinations_only(month, base):
    """Same movers, same reasons, same origins; only where they go differs."""
    shifted = month.run({rng.CHOICE})
    assert np.array_equal(shifted.reason, base.reason)
    assert np.array_equal(shifted.origin, base.origin)
    assert (shifted.chosen != base.chosen).mean() > 0.25


def test_shifting_the_sampling_draws_changes_destinations_only(month, base):
    """With sampled alternatives, the draws that pick the alternatives change the choice
    sets, hence some destinations, but neither who moves nor why."""
    m = month.model
    ch = m.submodels.choice
    sample = choice_kernels.Sample(*choice_kernels.sampling_tables(
        ch.log_dist, m.stock.dwellings, 1.0, 16), 16)
    sampled = range(rng.CHOICE_SAMPLE, rng.CHOICE_SAMPLE + sample.size)
    saved, ch.sample = ch.sample, sample
    try:
        plain, shifted = month.run(), month.run(frozenset(sampled))
    finally:
        ch.sample = saved
    assert np.array_equal(plain.reason, base.reason)
    assert np.array_equal(shifted.reason, base.reason)
    assert (shifted.chosen != plain.chosen).mean() > 0.05


def test_shifting_the_lottery_changes_only_who_gets_a_scarce_dwelling(month):
    """Same movers and same choices; only movers to another territory whose dwellings ran
    out (in one run or the other) may be served in one run and not in the other."""
    scarce = _scarce(month)
    plain, shifted = month.run(vacant=scarce), month.run({rng.LOTTERY}, vacant=scarce)
    assert np.array_equal(shifted.reason, plain.reason)
    assert np.array_equal(shifted.chosen, plain.chosen)
    differ = shifted.moved != plain.moved
    assert differ.sum() > 10
    full = (plain.unmet > 0) | (shifted.unmet > 0)
    contested = (plain.chosen != plain.origin) & full[plain.chosen]
    assert not (differ & ~contested).any()


# --- 4. common random numbers across scenarios -------------------------------------------

def _decided(scenario: str, start: str) -> tuple[MigrationModel, np.ndarray]:
    """A model of ``scenario`` after its first month's decision (job changers have their
    new job), and the households' jobs before it."""
    m = MigrationModel(scenario, scale=0.002, months=1, rng=SEED, collect=False,
                       overrides=[f"start={start}", "model.equilibrium.enabled=false"])
    job = m.households.job.copy()
    for submodel in m.schedule:
        submodel.step(m)
        if submodel.name == "decision":
            return m, job
    raise AssertionError("no decision in the schedule")


def _changers(m: MigrationModel) -> np.ndarray:
    d = m.submodels.decision
    return d.movers[d.why == JOB_CHANGE]


def _new_jobs_by_hand(m: MigrationModel, who: np.ndarray) -> np.ndarray:
    """The new job of each of ``who`` from the rule of ``model.move.job_change``: among the
    employment poles beyond commuting reach of the home (one-way minutes × commuting share
    of the week above ``model.relocation.max_commute_min``), the one the household's
    JOB_PLACE draw points to in the cumulative weights size · (1 + km / 10)^−decay; −1
    when every pole is within reach."""
    hh, ch = m.households, m.submodels.choice
    t, n = m.territories, len(m.territories)
    # the employment poles: the territories' nearest, then those across the border (job
    # sites n + k), weighing the dwellings their commuters from the area would occupy
    poles = np.concatenate([np.unique(t.pole), n + np.arange(len(t.border_poles))])
    decay = m.config.model.move.job_change.distance_decay
    limit = m.config.model.relocation.max_commute_min
    rate = m.config.territory.priors.cross_border.employment_rate
    abroad = (t.array("population") * rate) @ t.border * (
        t.array("dwellings").sum() / (t.array("population").sum() * rate)) * m.scale
    size = np.maximum(np.concatenate([m.stock.dwellings[poles[poles < n]], abroad]), 1.0)
    u = rng_uniforms(SEED, who.astype(np.int64), m.month, rng.JOB_PLACE)
    out = np.full(who.size, -1)
    for i, h in enumerate(who):
        o = hh.home[h]
        beyond = ch.commute_min[o, poles] * (5 - hh.telework_days[h]) / 5 > limit
        w = np.where(beyond, np.exp(np.log(size) - decay * ch.site_log_dist[o, poles]), 0.0)
        if w.sum() > 0:
            cum = np.cumsum(w)
            out[i] = poles[min(int(np.searchsorted(cum, u[i] * cum[-1], side="right")),
                               int(np.flatnonzero(beyond)[-1]))]
    return out


def test_job_changes_are_each_households_own_draws_in_every_scenario():
    """Common random numbers: whether a worker changes job (its JOB draw below the monthly
    rate of its age class, unless displaced or failing first) and where the new job is
    (its JOB_PLACE draw) are the household's own draws, of nothing the scenario sets. In
    the first month, where remote50's telework is still the baseline's, baseline and
    remote50 of a seed have the same job changers with the same new jobs, those the rules
    give by hand. From March 2020, where remote50 adds its covid shock and much more
    telework, the same workers still draw a job change; only telework, which widens the
    commuting reach, can spare one the move or change where the new job is."""
    (base, job_b), (remote, job_r) = (_decided(s, "2019-01") for s in ("baseline", "remote50"))
    assert np.array_equal(base.households.telework_days, remote.households.telework_days)
    assert np.array_equal(job_b, job_r)
    hh, p = base.households, base.config.model.move
    d = base.submodels.decision
    reason = np.zeros(len(hh), dtype=np.int8)
    reason[d.movers] = d.why
    forced = (reason == DISPLACED) | (reason == RETURN)
    rate = decision_kernels.monthly([p.job_change.annual_rate[a] for a in AGE_CLASSES])
    drawn = np.flatnonzero((job_b >= 0) & ~forced & (
        rng_uniforms(SEED, np.arange(len(hh), dtype=np.int64), base.month, rng.JOB)
        < rate[age_class(hh.age)]))
    new = _new_jobs_by_hand(base, drawn)
    changers = _changers(base)
    assert changers.size > 30
    assert np.array_equal(changers, drawn[new >= 0])
    assert np.array_equal(hh.job[changers], new[new >= 0])
    assert (hh.job[changers] != job_b[changers]).all()
    assert np.array_equal(_changers(remote), changers)
    assert np.array_equal(remote.households.job, hh.job)

    (base, _), (remote, _) = (_decided(s, "2020-03") for s in ("baseline", "remote50"))
    days_b, days_r = base.households.telework_days, remote.households.telework_days
    same = days_b == days_r
    assert (~same).sum() > 1000  # remote50's telework differs for many households
    decided = [m.submodels.decision.decide(m, m.month, m.submodels.shocks.move_multiplier)[0]
               for m in (base, remote)]
    # the shock changes who moves for ordinary reasons, not who draws a job change
    assert not np.array_equal(decided[0] == ORDINARY, decided[1] == ORDINARY)
    assert np.array_equal(decided[0] == JOB_CHANGE, decided[1] == JOB_CHANGE)
    c_b, c_r = _changers(base), _changers(remote)
    assert c_b.size > 30
    kept_b, kept_r = c_b[same[c_b]], c_r[same[c_r]]
    assert np.array_equal(kept_b, kept_r)
    assert np.array_equal(base.households.job[kept_b], remote.households.job[kept_r])
    # telework only shrinks or widens the reach: the job changers of one run with other
    # days are job changers of the other run, or have every pole within reach there
    for m, other in ((base, remote), (remote, base)):
        differ = _changers(m)[~same[_changers(m)]]
        spared = np.setdiff1d(differ, _changers(other))
        assert (_new_jobs_by_hand(other, spared) < 0).all()
