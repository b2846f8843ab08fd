"""Ageing kernel: a month older for every household, in one pass."""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np

from migrasim.rng import RETIREMENT, uniform

OLDER, RETIRES = 1, 2  # flags: entered a new age class; retires this month


class Life(NamedTuple):
    bounds: np.ndarray      # first month of age of each class after the first
    step: int               # their greatest common divisor (a cheap first sieve)
    is_worker: np.ndarray   # (profiles,) bool
    retire_age: int         # months
    retire_rate: float      # monthly


@nb.njit(parallel=True, cache=True)
def age_month(seed, month, hh, life):
    """Every household's age and spell grow by a month; flags of the living households
    that entered a new age class (OLDER) or retire (RETIRES, the RETIREMENT draw)."""
    age = hh.age  # one statement per array (see kernels/synthesis.py)
    since = hh.months_since_arrival
    alive = hh.alive
    profile = hh.profile
    key = hh.key
    bounds = life.bounds
    step = life.step
    is_worker = life.is_worker
    retire_age = life.retire_age
    retire_rate = life.retire_rate
    n = age.shape[0]
    flags = np.zeros(n, dtype=np.int8)
    for h in nb.prange(n):
        if not alive[h]:
            continue
        age[h] += 1
        since[h] += 1
        a = age[h]
        f = 0
        if a % step == 0:
            for b in bounds:
                if a == b:
                    f |= OLDER
        if (is_worker[profile[h]] and a >= retire_age
                and uniform(seed, key[h], month, RETIREMENT) < retire_rate):
            f |= RETIRES
        flags[h] = f
    return flags
