"""Ageing kernel: a month older for every household, in one pass."""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np

from migrasim.rng import RETIREMENT, uniform

OLDER, RETIRES = 1, 2  # flags: entered a new age class; retires this month


class Life(NamedTuple):
    crossing: np.ndarray    # (ages in months,) OLDER at the first month of each class
    #                         after the first, else 0: a lookup, not a division
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
    crossing = life.crossing
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
        f = crossing[a]
        # branch-free: one household in eighteen is due, at random, so a test would
        # mispredict; the draw of the others decides nothing
        retires = (is_worker[profile[h]] & (a >= retire_age)
                   & (uniform(seed, key[h], month, RETIREMENT) < retire_rate))
        f |= RETIRES * np.int8(retires)
        flags[h] = f
    return flags


def crossings(bounds_months) -> np.ndarray:
    """The ``crossing`` table of :class:`Life`: OLDER at each bound, over every age an
    int16 month count can hold."""
    table = np.zeros(np.iinfo(np.int16).max + 1, dtype=np.int8)
    table[np.asarray(bounds_months, dtype=np.int64)] = OLDER
    return table
