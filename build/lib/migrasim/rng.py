"""Counter-based random draws: common random numbers across scenarios and threads.

A draw is a pure function of (seed, household, month, purpose): no generator state,
so results do not depend on thread count or on the order in which other households
are processed, and the same household gets the same draws in a baseline and a policy
run. The mixing function is SplitMix64's finaliser (Steele et al., 2014).
"""

from __future__ import annotations

import numba as nb
import numpy as np

# Purposes: one stream each, so adding a draw for one sub-model never shifts another.
MOVE, CHOICE, LOTTERY, FAILURE, DISPLACEMENT = 1, 2, 3, 4, 5
SYNTH_PROFILE, SYNTH_INCOME, SYNTH_TENURE, SYNTH_JOB, SYNTH_TELEWORK, SYNTH_DAYS = range(11, 17)
SYNTH_TERRITORY, SYNTH_SINCE, SYNTH_INCOME_ANGLE = 17, 18, 19

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_C_MONTH = np.uint64(0xD1B54A32D192ED03)
_C_PURPOSE = np.uint64(0xAEF17502108EF2D9)


@nb.njit(inline="always", cache=True)
def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@nb.njit(inline="always", cache=True)
def uniform(seed, household, month, purpose):
    """A uniform draw in [0, 1) for (seed, household, month, purpose)."""
    z = _mix(np.uint64(seed) + _GOLDEN * (np.uint64(household) + np.uint64(1)))
    z = _mix(z ^ (np.uint64(month + 1) * _C_MONTH + np.uint64(purpose) * _C_PURPOSE))
    return np.float64(z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@nb.njit(parallel=True, cache=True)
def uniforms(seed: int, households: np.ndarray, month: int, purpose: int) -> np.ndarray:
    """One draw per listed household."""
    out = np.empty(households.shape[0])
    for i in nb.prange(households.shape[0]):
        out[i] = uniform(seed, households[i], month, purpose)
    return out


def draws(seed: int, n: int, purpose: int, month: int = -1) -> np.ndarray:
    """Draws for households 0..n-1 (used when synthesising the population)."""
    return uniforms(seed, np.arange(n, dtype=np.int64), month, purpose)
