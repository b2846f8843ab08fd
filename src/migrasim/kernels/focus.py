"""Focus-area kernels: a heavy mover's choice split between the focus and the rest.

A heavy household (weight W base units, more than a focus unit w) that moves gives the
focus territories its choice probabilities' share P_F of its weight in units of weight
w: each of its floor(W / w) *slots* goes with its own draw (a binomial count), a unit
household tied to the slot, whose focus territory is drawn from the choice
probabilities restricted to the focus; the household keeps the rest of its weight and
chooses among the other territories with its own choice draw (docs/focus.md).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from migrasim.kernels.choice import BLOCK, F32, _household_weights, _pick, _scratch
from migrasim.kernels.decision import JOB_CHANGE, RETURN
from migrasim.rng import CHOICE, SPLIT, uniform, unit_key


@nb.njit(parallel=True, fastmath=True, cache=True)
def outside_choices(seed, month, movers, reason, hh, tables, focus, chunks):
    """For each mover: its destination outside the ``focus`` territories (sorted
    positions), the inverse CDF of its CHOICE draw over its choice probabilities
    restricted to them (−1 if they weigh nothing); the focus's share of its choice
    probabilities; and the weight of each focus territory (a row per mover)."""
    m = movers.shape[0]
    n = tables.rent.shape[0]
    n_focus = focus.shape[0]
    return_bonus = tables.return_bonus
    chosen = np.full(m, -1, dtype=np.int32)
    share = np.zeros(m)
    inside = np.zeros((m, n_focus), dtype=F32)
    p_ = hh.segment[movers]  # one statement per array (see kernels/synthesis.py)
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
            mass = 0.0
            for f in range(n_focus):
                j = focus[f]
                inside[k, f] = v[j]
                mass += v[j]
                v[j] = F32(0.0)
            for f in range(n_focus):  # the block sums of the focus's blocks, without it
                b = focus[f] // BLOCK
                s = F32(0.0)
                for j in range(b * BLOCK, (b + 1) * BLOCK):
                    s += v[j]
                blocks[b] = s
            rest = F32(0.0)
            for b in range(blocks.shape[0]):
                rest += blocks[b]
            share[k] = mass / total
            if rest > 0:
                chosen[k] = _pick(v, blocks, F32(uniform(seed, key_[k], month, CHOICE)) * rest,
                                  n)
    return chosen, share, inside


@nb.njit(parallel=True, cache=True)
def split(seed, month, keys, share, slots):
    """The units of heavy movers (``keys``): slot s < ``slots[k]`` of mover k becomes a
    unit when its draw SPLIT + s is below the mover's focus ``share[k]``. Returns each
    unit's mover (index into ``keys``) and key (rng.unit_key of the slot), by mover then
    slot."""
    m = keys.shape[0]
    count = np.zeros(m, dtype=np.int64)
    for k in nb.prange(m):
        for s in range(slots[k]):
            if uniform(seed, keys[k], month, SPLIT + s) < share[k]:
                count[k] += 1
    start = np.cumsum(count) - count
    total = count.sum()
    mover = np.empty(total, dtype=np.int64)
    key = np.empty(total, dtype=np.uint64)
    for k in nb.prange(m):
        i = start[k]
        for s in range(slots[k]):
            if uniform(seed, keys[k], month, SPLIT + s) < share[k]:
                mover[i] = k
                key[i] = unit_key(keys[k], month, s)
                i += 1
    return mover, key


@nb.njit(cache=True)
def inside_choices(seed, month, keys, inside, focus):
    """The focus territory of each row: the inverse CDF of the CHOICE draw of its key over
    its focus weights (a row of ``outside_choices``)."""
    out = np.empty(keys.shape[0], dtype=np.int32)
    for i in range(keys.shape[0]):
        row = inside[i]
        target = uniform(seed, keys[i], month, CHOICE) * row.astype(np.float64).sum()
        acc = 0.0
        f = 0
        while f < row.shape[0] - 1 and acc + row[f] <= target:
            acc += row[f]
            f += 1
        while f > 0 and row[f] <= 0:  # rounding past the last weighted territory
            f -= 1
        out[i] = focus[f]
    return out
