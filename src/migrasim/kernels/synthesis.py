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
    border_cum: np.ndarray      # (territories, border poles): cumulative shares of the
                                # workers employed at each pole across the border
    wage_ratio: np.ndarray      # (border poles,): income of such a job / a French one
    income_norm: np.ndarray     # (territories,): the median's cross-border premium


@nb.njit(parallel=True, cache=True)
def draw(seed, hh, params):
    """Fill profile, income, tenure, job and months since arrival of households whose
    home and key are set, from the draws of their keys (one pass, no temporaries). A
    worker holds a job across the border (job site ``territories + k`` for pole ``k``)
    with the territory's share of such jobs and earns that pole's premium; the others
    earn the median without it."""
    # one statement per array: numba 0.68 parfors lose writes to arrays unpacked from a
    # tuple (``a, b = t.a, t.b``) or reached as attributes inside the loop
    home = hh.home
    profile = hh.profile
    income = hh.income
    owner = hh.owner
    job = hh.job
    since = hh.months_since_arrival
    key = hh.key
    cum_shares = params.cum_shares
    income_factor = params.income_factor
    median_income = params.median_income
    sigma = params.sigma
    owner_share = params.owner_share
    is_worker = params.is_worker
    local_job_share = params.local_job_share
    pole = params.pole
    border_cum = params.border_cum
    wage_ratio = params.wage_ratio
    income_norm = params.income_norm
    n_terr = border_cum.shape[0]
    n_poles = border_cum.shape[1]
    last = cum_shares.shape[1] - 1
    for h in nb.prange(home.shape[0]):
        j = home[h]
        kh = key[h]
        u = rng.uniform(seed, kh, -1, rng.SYNTH_PROFILE)
        p = 0
        while p < last and u >= cum_shares[j, p]:
            p += 1
        profile[h] = p
        # log-normal around the territory's median, by Box-Muller from two draws
        r = np.sqrt(-2.0 * np.log1p(-rng.uniform(seed, kh, -1, rng.SYNTH_INCOME)))
        z = r * np.cos(2.0 * np.pi * rng.uniform(seed, kh, -1, rng.SYNTH_INCOME_ANGLE))
        level = median_income[j] * income_factor[p] * np.exp(sigma * z - sigma**2 / 2)
        income[h] = level / income_norm[j]
        owner[h] = rng.uniform(seed, kh, -1, rng.SYNTH_TENURE) < owner_share[p]
        abroad = border_cum[j, n_poles - 1] if n_poles > 0 else 0.0
        u = rng.uniform(seed, kh, -1, rng.SYNTH_JOB)
        if not is_worker[p]:
            job[h] = -1
        elif u < abroad:  # the same draw picks the pole
            k = 0
            while k < n_poles - 1 and u >= border_cum[j, k]:
                k += 1
            job[h] = n_terr + k
            income[h] = income[h] * wage_ratio[k]
        elif (u - abroad) / (1.0 - abroad) < local_job_share:
            job[h] = j
        else:
            job[h] = pole[j]
        since[h] = np.int32(rng.uniform(seed, kh, -1, rng.SYNTH_SINCE) * 120)
