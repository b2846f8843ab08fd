"""Telework days of every household under a telework period."""

from __future__ import annotations

import numba as nb
import numpy as np

from migrasim import rng


@nb.njit(parallel=True, cache=True)
def days(seed, key, profile, share, mean_days):
    """Days a week each household teleworks (0 for non-teleworkers). Who teleworks is
    fixed by the household's own draw (its ``key``), so a rising share adds teleworkers
    without reshuffling the others (common random numbers)."""
    return days_of(seed, np.arange(profile.shape[0]), key, profile, share, mean_days)


@nb.njit(parallel=True, cache=True)
def days_of(seed, ids, key, profile, share, mean_days):
    """Telework days of households ``ids`` (``key`` and ``profile`` are whole-population)."""
    out = np.zeros(ids.shape[0], dtype=np.int8)
    for i in nb.prange(ids.shape[0]):
        h = ids[i]
        p = profile[h]
        z = key[h]
        if rng.uniform(seed, z, -1, rng.SYNTH_TELEWORK) < share[p]:
            mean = mean_days[p]
            d = np.floor(mean) + (rng.uniform(seed, z, -1, rng.SYNTH_DAYS) < mean - np.floor(mean))
            out[i] = min(max(d, 0.0), 5.0)
    return out
