"""Demography kernel: which households dissolve, leave for abroad or give rise to a new
household this month (one pass over the households)."""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np

from migrasim.rng import DISSOLUTION, EMIGRATION, FORMATION, draw, stream

NONE, DISSOLVES, EMIGRATES, LEAVES_HOME, SEPARATES = range(5)


class Rates(NamedTuple):
    """Monthly probabilities by age class."""

    dissolve: np.ndarray
    emigrate: np.ndarray
    leave_home: np.ndarray  # a young adult leaves this household
    separate: np.ndarray
    n_ages: int


@nb.njit(parallel=True, cache=True)
def events(seed, month, alive, segment, key, rates):
    """Event code per household, from the draws of its ``key``. The draws do not depend
    on who moves this month: a household of both scenarios of a seed has the same events
    in both."""
    dissolve = rates.dissolve  # one statement per array (see kernels/synthesis.py)
    emigrate = rates.emigrate
    leave_home = rates.leave_home
    separate = rates.separate
    n_ages = rates.n_ages
    age_class = np.empty(128, dtype=np.int64)  # of each int8 segment: no modulo in the loop
    for s in range(128):
        age_class[s] = s % n_ages
    n = alive.shape[0]
    out = np.zeros(n, dtype=np.int8)
    for h in nb.prange(n):
        if not alive[h]:
            continue
        k = age_class[segment[h]]
        z = stream(seed, key[h])  # mixed once for the household's three draws
        if draw(z, month, DISSOLUTION) < dissolve[k]:
            out[h] = DISSOLVES
            continue
        if draw(z, month, EMIGRATION) < emigrate[k]:
            out[h] = EMIGRATES
            continue
        u = draw(z, month, FORMATION)
        if u < leave_home[k]:
            out[h] = LEAVES_HOME
        elif u < leave_home[k] + separate[k]:
            out[h] = SEPARATES
    return out
