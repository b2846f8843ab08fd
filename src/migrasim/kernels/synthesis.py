"""Population synthesis: each household's attributes from its own draws."""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np

from migrasim import rng


class Synthesis(NamedTuple):
    """Household parameters by territory and profile, as arrays."""

    cum_shares: np.ndarray      # (territories, profiles): cumulative profile shares
    income_factor: np.ndarray   # (profiles,): income relative to the local median
    median_income: np.ndarray   # (territories,): €/month
    sigma: float                # log-sd of income within a profile
    owner_share: np.ndarray     # (profiles,)
    is_worker: np.ndarray       # (profiles,) bool
    local_job_share: float      # workers holding a job in their own territory
    pole: np.ndarray            # (territories,): position of the nearest employment pole


@nb.njit(parallel=True, cache=True)
def draw(seed, hh, params):
    """Fill profile, income, tenure, job and months since arrival of households whose
    home is set (one pass, no temporaries)."""
    # one statement per array: numba 0.68 parfors lose writes to arrays unpacked from a
    # tuple (``a, b = t.a, t.b``) or reached as attributes inside the loop
    home = hh.home
    profile = hh.profile
    income = hh.income
    owner = hh.owner
    job = hh.job
    since = hh.months_since_arrival
    cum_shares = params.cum_shares
    income_factor = params.income_factor
    median_income = params.median_income
    sigma = params.sigma
    owner_share = params.owner_share
    is_worker = params.is_worker
    local_job_share = params.local_job_share
    pole = params.pole
    last = cum_shares.shape[1] - 1
    for h in nb.prange(home.shape[0]):
        j = home[h]
        u = rng.uniform(seed, h, -1, rng.SYNTH_PROFILE)
        p = 0
        while p < last and u >= cum_shares[j, p]:
            p += 1
        profile[h] = p
        # log-normal around the territory's median, by Box-Muller from two draws
        r = np.sqrt(-2.0 * np.log1p(-rng.uniform(seed, h, -1, rng.SYNTH_INCOME)))
        z = r * np.cos(2.0 * np.pi * rng.uniform(seed, h, -1, rng.SYNTH_INCOME_ANGLE))
        income[h] = median_income[j] * income_factor[p] * np.exp(sigma * z - sigma**2 / 2)
        owner[h] = rng.uniform(seed, h, -1, rng.SYNTH_TENURE) < owner_share[p]
        if not is_worker[p]:
            job[h] = -1
        elif rng.uniform(seed, h, -1, rng.SYNTH_JOB) < local_job_share:
            job[h] = j
        else:
            job[h] = pole[j]
        since[h] = np.int32(rng.uniform(seed, h, -1, rng.SYNTH_SINCE) * 120)
