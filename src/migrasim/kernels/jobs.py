"""Job mobility kernel: where the new job of a worker who changes employment area is."""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np

from migrasim.rng import JOB_PLACE, uniform


class Labour(NamedTuple):
    """Where jobs are and how far workers commute."""

    poles: np.ndarray        # job sites that are employment poles (territories, then
                             # poles across the border: Territories.n_sites)
    log_size: np.ndarray     # (poles,): log of each pole's size (dwellings)
    log_dist: np.ndarray     # (territories, job sites): log(1 + km / 10), home row
    commute: np.ndarray      # (job sites, territories): one-way minutes, job site row
    max_commute: float       # one-way minutes × commuting share of the week
    decay: float             # distance decay of the new job's place


@nb.njit(parallel=True, cache=True)
def new_jobs(seed, month, who, key, home, days, labour):
    """New job (a pole's job site) of each worker ``who``, drawn among the employment
    poles beyond commuting reach of the home — one-way minutes × commuting share of the
    week above ``max_commute``, so telework widens the reach — with probability
    ∝ size · (1 + km / 10)^−decay (gravity), with the draw of the worker's ``key``; −1
    when every pole is within reach (the job changes without a move)."""
    poles = labour.poles  # one statement per array (see kernels/synthesis.py)
    log_size = labour.log_size
    log_dist = labour.log_dist
    commute = labour.commute
    max_commute = labour.max_commute
    decay = labour.decay
    m = who.shape[0]
    k_poles = poles.shape[0]
    out = np.full(m, -1, dtype=np.int32)
    for i in nb.prange(m):
        h = who[i]
        o = home[h]
        share = (5.0 - days[h]) / 5.0
        w = np.zeros(k_poles)
        total = 0.0
        for k in range(k_poles):
            q = poles[k]
            if commute[q, o] * share > max_commute:
                w[k] = np.exp(log_size[k] - decay * log_dist[o, q])
                total += w[k]
        if total <= 0.0:
            continue
        target = uniform(seed, key[h], month, JOB_PLACE) * total
        acc = 0.0
        for k in range(k_poles):
            acc += w[k]
            if w[k] > 0.0:
                out[i] = poles[k]
                if acc > target:
                    break
    return out
