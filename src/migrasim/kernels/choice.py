"""Location choice kernels: a multinomial logit over every destination territory.

The utility (submodels/choice.py) is five multiply-adds per territory on rows read
contiguously: everything that does not depend on the household is gathered once per
month into the lookup tables of ``Tables`` — A[p, j] with the territory constants, the
telework terms ``tele[p, j]``, and float32 copies of distances, commutes and rents. The
kernels work in float32 (utilities span a few tens of units; float32 keeps choice
probabilities to ~1e-6) and evaluate ``exp`` with a polynomial the compiler vectorises;
no households × territories matrix is ever built (docs/performance.md).

A choice uses one uniform draw per household and the inverse of the cumulative
probabilities in territory order, so a small change of utilities moves few choices
(common random numbers). ``expected_flows`` sums the same probabilities over weighted
household types (population/types.py): the demand the housing market answers.
``choose_sampled`` is the optional sampled-alternatives variant (importance sampling by
distance with McFadden's correction).
"""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np

from migrasim.kernels.decision import JOB_CHANGE, RETURN
from migrasim.rng import CHOICE, CHOICE_SAMPLE, uniform

F32 = np.float32
BLOCK = 16  # territories per partial sum of the inverse-CDF search
FLOOR = F32(-87.0)  # utilities this far below the best weigh exp(-87) ≈ 2^-125.5 ≈ 0
_LOG2E = F32(1.4426950408889634)
# 2^f on [-0.5, 0.5]: Cephes exp2f minimax polynomial (relative error < 2e-7)
_P = tuple(F32(c) for c in (1.535336188319500e-4, 1.339887440266574e-3,
                            9.618437357674640e-3, 5.550332471162809e-2,
                            2.402264791363012e-1, 6.931472028550421e-1))
_ONE, _HALF, _BIAS = F32(1.0), F32(0.5), np.int32(127)


class Tables(NamedTuple):
    """Household-independent arrays of one step, in float32 (see module docstring)."""

    terms: np.ndarray      # (segments, territories): A[s, j], territory constants included
    log_dist: np.ndarray   # (territories, territories): log(1 + km / 10), origin row
    dist_coef: np.ndarray  # (segments,)
    tele: np.ndarray       # (segments, territories): telework terms per telework share
    rent: np.ndarray       # (territories,)
    commute: np.ndarray    # (territories, territories): one-way minutes, job row × home
    urban: np.ndarray      # (territories,): 1 for urban territories (return bonus)
    same: np.ndarray       # (segments,)
    cost: np.ndarray       # (segments,)
    commute_coef: np.ndarray  # (segments,)
    return_bonus: float    # utility of urban territories for a failed project's return
    days_off: np.ndarray   # (segments, territories): share of the week not commuted from
    #                        a home in j besides telework (a policy lever); (0, 0): none


class Sample(NamedTuple):
    """Sampled choice sets (``sampling_tables``) and the number drawn per mover."""

    near: np.ndarray       # (territories, nearest): always in the set, exact weights
    log_q: np.ndarray      # (territories, territories): log importance probabilities
    threshold: np.ndarray  # (territories, territories): Walker alias tables
    alias: np.ndarray
    size: int              # territories drawn per mover


class Types(NamedTuple):
    """Household types weighted by their monthly move hazard (population.types)."""

    weight: np.ndarray      # summed ordinary hazard
    home: np.ndarray
    segment: np.ndarray     # profile × age class
    job: np.ndarray         # −1: none
    inv_budget: np.ndarray  # hazard-weighted mean of 1 / budget
    telework: np.ndarray    # hazard-weighted mean telework share of the week


@nb.njit(fastmath=True, cache=True)
def _utilities(v, terms_row, dist, dist_row, cost, rent, tw, tele_row, commuting, commute_row,
               bonus, urban, o, same, relief, off_row):
    """Fill ``v`` with the utility of every territory; return the largest. (Two loops:
    LLVM vectorises each, not a loop that both stores and reduces.) ``relief``: the
    commute coefficient of a worker where a policy gives days off commuting (``off_row``,
    shares of the week, at most the share not teleworked), else 0."""
    n = rent.shape[0]
    for j in range(n):
        v[j] = (terms_row[j] + dist * dist_row[j] + cost * rent[j] + tw * tele_row[j]
                + commuting * commute_row[j])
    if bonus != 0:  # failed projects' return moves only: a separate pass spares the rest
        for j in range(n):
            v[j] += bonus * urban[j]
    if relief != 0:  # days off commuting: likewise
        share = _ONE - tw
        for j in range(n):
            v[j] -= relief * min(off_row[j], share) * commute_row[j]
    v[o] += same
    vmax = v[0]
    for j in range(n):
        x = v[j]
        vmax = x if x > vmax else vmax
    return vmax


@nb.njit(fastmath=True, cache=True)
def _exp_weights(v, bits, scale, vmax, blocks, n):
    """``v[:n] ← exp(v − vmax)`` (vectorised polynomial exp), zero beyond; ``blocks``
    receives the sums of each run of ``BLOCK`` territories; returns their total."""
    for j in range(n):
        t = max(v[j] - vmax, FLOOR) * _LOG2E
        k = np.floor(t + _HALF)
        f = t - k
        p = _P[0]
        for c in _P[1:]:
            p = p * f + c
        v[j] = p * f + _ONE
        bits[j] = (np.int32(k) + _BIAS) << 23  # 2^k as float32 bits
    for j in range(n, v.shape[0]):
        v[j] = F32(0.0)
        scale[j] = F32(0.0)
    total = F32(0.0)
    for b in range(blocks.shape[0]):
        s = F32(0.0)
        for i in range(BLOCK):  # constant trip count: unrolled into a vector sum
            x = v[b * BLOCK + i] * scale[b * BLOCK + i]
            v[b * BLOCK + i] = x
            s += x
        blocks[b] = s
        total += s
    return total


@nb.njit(inline="always", cache=True)
def _last_weighted(v, end):
    """Last index below ``end`` with a positive weight (rounding fall-back of _pick)."""
    for j in range(end - 1, -1, -1):
        if v[j] > 0:
            return j
    return 0


@nb.njit(inline="always", cache=True)
def _pick(v, blocks, target, n):
    """First territory whose cumulative weight exceeds ``target``. When rounding leaves
    the target at or past the total (a float32 draw rounded up to 1, or block sums and
    the element walk differing by an ulp), the last territory with a weight is taken."""
    acc = F32(0.0)
    for b in range(blocks.shape[0]):
        if acc + blocks[b] > target:
            end = min(n, (b + 1) * BLOCK)
            for j in range(b * BLOCK, end):
                acc += v[j]
                if acc > target:
                    return j
            return _last_weighted(v, end)
        acc += blocks[b]
    return _last_weighted(v, n)


@nb.njit(inline="always", cache=True)
def _scratch(n):
    """Per-thread work arrays, padded to whole blocks."""
    blocks = (n + BLOCK - 1) // BLOCK
    v = np.empty(blocks * BLOCK, dtype=F32)
    bits = np.empty(blocks * BLOCK, dtype=np.int32)
    return v, bits, bits.view(F32), np.empty(blocks, dtype=F32)


@nb.njit(inline="always", cache=True)
def _household_weights(v, bits, scale, blocks, tables, p, o, w, tw, inv_budget, bonus,
                       around_job):
    """Weights of segment ``p`` living in ``o``, working in ``w``; ``around_job``: a move
    for a new job, chosen around it (no pull of the old home: distance and same-territory
    terms off)."""
    t = tables
    tw32 = F32(tw)
    commuting = t.commute_coef[p] * (_ONE - tw32) if w >= 0 else F32(0.0)
    dist = F32(0.0) if around_job else t.dist_coef[p]
    stay = F32(0.0) if around_job else t.same[p]
    off = t.days_off.shape[0] > 0 and w >= 0
    vmax = _utilities(v, t.terms[p], dist, t.log_dist[o], t.cost[p] * F32(inv_budget), t.rent,
                      tw32, t.tele[p], commuting, t.commute[max(w, 0)], F32(bonus), t.urban,
                      o, stay, t.commute_coef[p] if off else F32(0.0),
                      t.days_off[p] if off else t.rent)
    return _exp_weights(v, bits, scale, vmax, blocks, t.rent.shape[0])


@nb.njit(parallel=True, fastmath=True, cache=True)
def choose(seed, month, movers, reason, hh, tables, chunks):
    """Chosen destination (territory position) of each mover.

    Movers are visited grouped by home, so the table rows of one origin stay in cache;
    each choice depends on its own draw only, so the visiting order changes nothing."""
    m = movers.shape[0]
    n = tables.rent.shape[0]
    return_bonus = tables.return_bonus
    chosen = np.empty(m, dtype=np.int32)
    # gathered in household order (a forward sweep through memory), then visited by home;
    # one statement per array (see kernels/synthesis.py)
    p_ = hh.segment[movers]
    o_ = hh.home[movers]
    w_ = hh.job[movers]
    tw_ = hh.telework_days[movers]
    b_ = hh.budget[movers]
    key_ = hh.key[movers]
    order = np.argsort(o_, kind="mergesort")
    size = (m + chunks - 1) // chunks
    for c in nb.prange(chunks):
        v, bits, scale, blocks = _scratch(n)
        for i in range(c * size, min(m, (c + 1) * size)):
            k = order[i]
            total = _household_weights(
                v, bits, scale, blocks, tables, p_[k], o_[k], w_[k], tw_[k] / 5.0, 1.0 / b_[k],
                return_bonus if reason[k] == RETURN else 0.0, reason[k] == JOB_CHANGE)
            chosen[k] = _pick(v, blocks, F32(uniform(seed, key_[k], month, CHOICE)) * total, n)
    return chosen


@nb.njit(parallel=True, fastmath=True, cache=True)
def expected_flows(types, tables, chunks):
    """Expected arrivals and departures per territory of weighted household ``types``.

    Types are split into a fixed number of chunks summed in order, so the result does
    not depend on the number of threads.
    """
    weight = types.weight  # one statement per array (see kernels/synthesis.py)
    home = types.home
    segment = types.segment
    job = types.job
    inv_budget = types.inv_budget
    telework = types.telework
    m = weight.shape[0]
    n = tables.rent.shape[0]
    arrivals = np.zeros((chunks, n))
    departures = np.zeros((chunks, n))
    size = (m + chunks - 1) // chunks
    for c in nb.prange(chunks):
        v, bits, scale, blocks = _scratch(n)
        for k in range(c * size, min(m, (c + 1) * size)):
            if weight[k] <= 0.0:
                continue
            o = home[k]
            total = _household_weights(v, bits, scale, blocks, tables, segment[k], o, job[k],
                                       telework[k], inv_budget[k], 0.0, False)
            share = weight[k] / total
            stay = v[o] * share
            for j in range(n):
                arrivals[c, j] += v[j] * share
            arrivals[c, o] -= stay
            departures[c, o] += weight[k] - stay
    return arrivals.sum(axis=0), departures.sum(axis=0)


def sampling_tables(log_dist: np.ndarray, dwellings: np.ndarray, exponent: float,
                    nearest: int) -> tuple[np.ndarray, ...]:
    """Tables of the sampled choice set of each origin o: its ``nearest`` territories
    (always in the set, exact weights) and the Walker alias tables of the importance
    distribution q(j | o) ∝ dwellings_j · (1 + km(o, j) / 10)^−exponent over the others:
    (near, log q, threshold, alias)."""
    n = log_dist.shape[0]
    order = np.argsort(log_dist + np.eye(n) * 1e9, axis=1, kind="stable")
    near = np.ascontiguousarray(order[:, :nearest], dtype=np.int32)
    q = np.maximum(dwellings, 1.0)[None, :] * np.exp(-exponent * log_dist)
    np.fill_diagonal(q, 0.0)
    np.put_along_axis(q, near.astype(np.int64), 0.0, axis=1)
    total = q.sum(axis=1, keepdims=True)
    if (total <= 0).any():
        raise ValueError("sampled alternatives need territories beyond the nearest ones")
    q /= total
    threshold = np.ones((n, n))
    alias = np.tile(np.arange(n, dtype=np.int32), (n, 1))
    for o in range(n):
        _alias(q[o] * n, threshold[o], alias[o])
    with np.errstate(divide="ignore"):
        return near, np.log(q).astype(F32), threshold.astype(F32), alias


@nb.njit(cache=True)
def _alias(scaled, threshold, alias):
    """Vose's alias method for one distribution (``scaled`` = probabilities × n)."""
    n = scaled.shape[0]
    work = scaled.copy()
    small = np.empty(n, dtype=np.int64)
    large = np.empty(n, dtype=np.int64)
    ns = nl = 0
    for i in range(n):
        if work[i] < 1.0:
            small[ns] = i
            ns += 1
        else:
            large[nl] = i
            nl += 1
    while ns > 0 and nl > 0:
        ns -= 1
        s = small[ns]
        g = large[nl - 1]
        threshold[s] = work[s]
        alias[s] = g
        work[g] -= 1.0 - work[s]
        if work[g] < 1.0:
            nl -= 1
            small[ns] = g
            ns += 1
    # leftovers (rounding) keep threshold 1: they always return themselves


@nb.njit(fastmath=True, inline="always", cache=True)
def _utility(tables, p, o, w, j, tw, inv_budget, bonus, dist, stay):
    """Utility of territory ``j``; ``dist`` and ``stay`` are the mover's distance and
    same-territory coefficients (zero for a move around a new job). Passed as numbers,
    not as a flag: a branch here makes the sampled choice five times slower."""
    t = tables
    x = (t.terms[p, j] + dist * t.log_dist[o, j] + t.cost[p] * inv_budget * t.rent[j]
         + tw * t.tele[p, j] + bonus * t.urban[j])
    if j == o:
        x += stay
    if w >= 0:
        x += t.commute_coef[p] * (_ONE - tw) * t.commute[w, j]
    return x


@nb.njit(fastmath=True, inline="always", cache=True)
def _days_off(tables, p, w, j, tw):
    """What a policy's days off commuting take off the commute term of territory ``j``
    (a pass of its own, taken only when a policy acts: its test inside ``_utility`` made
    the sampled choice 5× slower)."""
    t = tables
    return t.commute_coef[p] * min(t.days_off[p, j], _ONE - tw) * t.commute[w, j]


@nb.njit(parallel=True, cache=True)
def choose_sampled(seed, month, movers, reason, hh, tables, chunks, sample):
    """Chosen destination of each mover among its home, its nearest territories and
    ``sample.size`` other territories drawn from q(j | o) with replacement, each drawn one
    weighted exp(V_j − ln(size · q(j | o))): McFadden's correction, so that the sampled
    weights estimate those of the territories not drawn."""
    home = hh.home  # one statement per array (see kernels/synthesis.py)
    segment = hh.segment
    job = hh.job
    budget = hh.budget
    telework_days = hh.telework_days
    key = hh.key
    near = sample.near
    log_q = sample.log_q
    threshold = sample.threshold
    alias = sample.alias
    size = sample.size
    dist_coef = tables.dist_coef
    same = tables.same
    return_bonus = tables.return_bonus
    m = movers.shape[0]
    n = tables.rent.shape[0]
    fixed = near.shape[1] + 1
    off = tables.days_off.shape[0] > 0  # days off commuting (a policy lever)
    chosen = np.empty(m, dtype=np.int32)
    per = (m + chunks - 1) // chunks
    for c in nb.prange(chunks):
        cand = np.empty(fixed + size, dtype=np.int64)
        v, bits, scale, blocks = _scratch(fixed + size)
        log_size = F32(np.log(size))
        for k in range(c * per, min(m, (c + 1) * per)):
            h = movers[k]
            p, o, w = segment[h], home[h], job[h]
            around_job = reason[k] == JOB_CHANGE
            dist = F32(0.0) if around_job else dist_coef[p]
            stay = F32(0.0) if around_job else same[p]
            tw = F32(telework_days[h] / 5.0)
            inv_budget = F32(1.0 / budget[h])
            bonus = F32(return_bonus if reason[k] == RETURN else 0.0)
            cand[0] = o
            for s in range(1, fixed):
                cand[s] = near[o, s - 1]
            for s in range(size):
                x = uniform(seed, key[h], month, CHOICE_SAMPLE + s) * n
                i = min(int(x), n - 1)
                cand[fixed + s] = i if x - i < threshold[o, i] else alias[o, i]
            for s in range(fixed + size):
                v[s] = _utility(tables, p, o, w, cand[s], tw, inv_budget, bonus, dist, stay)
            if off and w >= 0:
                for s in range(fixed + size):
                    v[s] -= _days_off(tables, p, w, cand[s], tw)
            for s in range(fixed, fixed + size):
                v[s] -= log_size + log_q[o, cand[s]]
            vmax = v[0]
            for s in range(1, fixed + size):
                vmax = max(vmax, v[s])
            total = _exp_weights(v, bits, scale, vmax, blocks, fixed + size)
            chosen[k] = cand[_pick(v, blocks, F32(uniform(seed, key[h], month, CHOICE)) * total,
                                   fixed + size)]
    return chosen


@nb.njit(cache=True)
def probabilities(tables, segment, home, job, telework_share, inv_budget, bonus=0.0,
                  around_job=False):
    """Choice probabilities over every territory of one household (float64 copy)."""
    n = tables.rent.shape[0]
    v, bits, scale, blocks = _scratch(n)
    total = _household_weights(v, bits, scale, blocks, tables, segment, home, job,
                               telework_share, inv_budget, bonus, around_job)
    return v[:n].astype(np.float64) / total
