"""Counter-based random draws: common random numbers across scenarios and threads.

A draw is a pure function of (seed, household, month, purpose): no generator state,
so results do not depend on thread count or on the order in which other households
are processed, and the same household gets the same draws in a baseline and a policy
run. The mixing function is SplitMix64's finaliser (Steele et al., 2014).

``household`` is the household's *key* (``Households.key``): its position for the
synthesised households and those the demography creates, and for a unit split off a
heavy household into the focus area (docs/focus.md) a key mixed from its parent's key,
the month and its slot, with the top bit set so that it never equals a position.
"""

from __future__ import annotations

import numba as nb
import numpy as np

# Purposes: one stream each, so adding a draw for one sub-model never shifts another.
MOVE, CHOICE, LOTTERY, FAILURE, DISPLACEMENT = 1, 2, 3, 4, 5
CHOICE_SAMPLE = 1_000_000  # sampled alternatives: the k-th draw uses CHOICE_SAMPLE + k
SYNTH_PROFILE, SYNTH_INCOME, SYNTH_TENURE, SYNTH_JOB, SYNTH_TELEWORK, SYNTH_DAYS = range(11, 17)
SYNTH_TERRITORY, SYNTH_SINCE, SYNTH_INCOME_ANGLE = 17, 18, 19
SYNTH_AGE_CLASS, SYNTH_AGE = 20, 21
# life stages and demography
JOB, JOB_PLACE, RETIREMENT, NEO_RURAL = 6, 7, 8, 9
DISSOLUTION, FORMATION, EMIGRATION, IMMIGRATION = 22, 23, 24, 25
# focus area: slot k of a heavy mover goes to the focus with the draw SPLIT + k
SPLIT = 2_000_000

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_C_MONTH = np.uint64(0xD1B54A32D192ED03)
_C_PURPOSE = np.uint64(0xAEF17502108EF2D9)
_C_SLOT = np.uint64(0x8CB92BA72F3D8DD7)
_UNIT = np.uint64(1 << 63)  # the top bit of every unit's key: keys of positions lack it


@nb.njit(inline="always", cache=True)
def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@nb.njit(inline="always", cache=True)
def stream(seed, household):
    """The household's stream for ``seed``: the half of a draw that does not depend on
    the month or the purpose, mixed once for a household's several draws of a pass."""
    return _mix(np.uint64(seed) + _GOLDEN * (np.uint64(household) + np.uint64(1)))


@nb.njit(inline="always", cache=True)
def draw(stream, month, purpose):
    """The uniform draw in [0, 1) of a household's ``stream`` for (month, purpose):
    ``draw(stream(seed, h), month, purpose) == uniform(seed, h, month, purpose)``."""
    z = _mix(stream ^ (np.uint64(month + 1) * _C_MONTH + np.uint64(purpose) * _C_PURPOSE))
    return np.float64(z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@nb.njit(inline="always", cache=True)
def uniform(seed, household, month, purpose):
    """A uniform draw in [0, 1) for (seed, household, month, purpose)."""
    return draw(stream(seed, household), month, purpose)


@nb.njit(parallel=True, cache=True)
def uniforms(seed: int, households: np.ndarray, month: int, purpose: int) -> np.ndarray:
    """One draw per listed household."""
    out = np.empty(households.shape[0])
    for i in nb.prange(households.shape[0]):
        out[i] = uniform(seed, households[i], month, purpose)
    return out


@nb.njit(cache=True)
def unit_key(parent, month, slot):
    """Key of the unit that slot ``slot`` of household ``parent`` (a key) splits off in
    ``month``: it depends on nothing else, so a unit keeps its draws in every scenario."""
    z = _mix(np.uint64(parent) * _GOLDEN + np.uint64(month + 1) * _C_MONTH)
    return _mix(z ^ (np.uint64(slot) + np.uint64(1)) * _C_SLOT) | _UNIT


def draws(seed: int, n: int, purpose: int, month: int = -1) -> np.ndarray:
    """Draws for households 0..n-1 (used when synthesising the population)."""
    return uniforms(seed, np.arange(n, dtype=np.int64), month, purpose)


_MASK = (1 << 64) - 1
_M1_INT, _M2_INT, _GOLDEN_INT = int(_M1), int(_M2), int(_GOLDEN)
_C_MONTH_INT, _C_PURPOSE_INT = int(_C_MONTH), int(_C_PURPOSE)


def _mix_py(z: int) -> int:
    z = ((z ^ (z >> 30)) * _M1_INT) & _MASK
    z = ((z ^ (z >> 27)) * _M2_INT) & _MASK
    return z ^ (z >> 31)


def uniform_py(seed: int, household: int, month: int, purpose: int) -> float:
    """Pure-Python twin of :func:`uniform`, returning the identical float: the same
    SplitMix64 mixing on Python integers masked to 64 bits. Used by the Mesa reference
    (reference.py), whose per-household work stays in plain Python."""
    z = _mix_py((seed + _GOLDEN_INT * (household + 1)) & _MASK)
    z = _mix_py(z ^ (((month + 1) * _C_MONTH_INT + purpose * _C_PURPOSE_INT) & _MASK))
    return (z >> 11) * (1.0 / 9007199254740992.0)
