"""Telework days of every household under a telework period."""

from __future__ import annotations

import numba as nb
import numpy as np

from migrasim import rng


@nb.njit(parallel=True, cache=True)
def days(seed, profile, share, mean_days):
    """Days a week each household teleworks (0 for non-teleworkers). Who teleworks is
    fixed by the household's own draw, so a rising share adds teleworkers without
    reshuffling the others (common random numbers)."""
    out = np.zeros(profile.shape[0], dtype=np.int8)
    for h in nb.prange(profile.shape[0]):
        p = profile[h]
        if rng.uniform(seed, h, -1, rng.SYNTH_TELEWORK) < share[p]:
            mean = mean_days[p]
            d = np.floor(mean) + (rng.uniform(seed, h, -1, rng.SYNTH_DAYS) < mean - np.floor(mean))
            out[h] = min(max(d, 0.0), 5.0)
    return out
