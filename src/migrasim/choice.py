"""Location choice: a multinomial logit over every destination territory.

Utility of territory j for household h of profile p living in o:

    V = A[p, j]                                  territory terms: amenities, services,
                                                 log(1 + available dwellings), kind
                                                 constants, policy terms
      + same[p] · 1[j = o] + dist[p] · log(1 + km(o, j) / 10)
      + cost[p] · rent(j) / income(h)
      + commute[p] · minutes(j, job) · (5 − telework days) / 5
      + (broadband[p] · bb(j) + coworking[p] · cw(j)) · telework days / 5
      + return bonus · urban(j)                  failed neo-rural projects only

The territory terms are computed once per step; the household loop never builds a
households × territories matrix. The choice uses one uniform draw per household and
the inverse of the cumulative probabilities in territory order, so a small change of
utilities moves few choices (common random numbers).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from migrasim.decision import RETURN
from migrasim.rng import CHOICE, uniform


@nb.njit(parallel=True, cache=True)
def choose(seed, month, movers, reason, home, profile, job, income, telework_days,
           territory_terms, same, dist_coef, log_dist, cost_coef, rent, commute_coef,
           commute_min, broadband_coef, broadband, coworking_coef, coworking,
           return_bonus, urban):
    """Chosen destination (territory position) of each mover."""
    m = movers.shape[0]
    n = rent.shape[0]
    chosen = np.empty(m, dtype=np.int32)
    for k in nb.prange(m):
        h = movers[k]
        p = profile[h]
        o = home[h]
        tw = telework_days[h] / 5.0
        w = job[h]
        inv_income = 1.0 / income[h]
        digital_b = broadband_coef[p] * tw
        digital_c = coworking_coef[p] * tw
        commuting = commute_coef[p] * (1.0 - tw)
        bonus = return_bonus if reason[k] == RETURN else 0.0
        v = np.empty(n)
        vmax = -np.inf
        for j in range(n):
            x = (territory_terms[p, j] + dist_coef[p] * log_dist[o, j]
                 + cost_coef[p] * rent[j] * inv_income
                 + digital_b * broadband[j] + digital_c * coworking[j] + bonus * urban[j])
            if w >= 0:
                x += commuting * commute_min[j, w]
            if j == o:
                x += same[p]
            v[j] = x
            if x > vmax:
                vmax = x
        total = 0.0
        for j in range(n):
            v[j] = np.exp(v[j] - vmax)
            total += v[j]
        target = uniform(seed, h, month, CHOICE) * total
        acc = 0.0
        pick = n - 1
        for j in range(n):
            acc += v[j]
            if acc > target:
                pick = j
                break
        chosen[k] = pick
    return chosen


def territory_terms(kind_const: np.ndarray, kind: np.ndarray, amen_coef: np.ndarray,
                    amenities: np.ndarray, serv_coef: np.ndarray, services: np.ndarray,
                    size_coef: float, available: np.ndarray,
                    policy_utility: np.ndarray) -> np.ndarray:
    """A[p, j]: the part of utility that depends on the profile and destination only."""
    return (kind_const[:, kind] + amen_coef[:, None] * amenities[None, :]
            + serv_coef[:, None] * services[None, :]
            + size_coef * np.log1p(np.maximum(available, 0))[None, :] + policy_utility)
