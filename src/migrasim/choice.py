"""Location choice: a multinomial logit over every destination territory.

Utility of territory j for household h of profile p living in o:

    V = A[p, j]                                  territory terms: amenities, services,
                                                 log(1 + dwellings), kind
                                                 constants, policy terms
      + same[p] · 1[j = o] + dist[p] · log(1 + km(o, j) / 10)
      + cost[p] · rent(j) / budget(h)             budget = income / housing factor of the profile
      + commute[p] · minutes(j, job) · (5 − telework days) / 5
      + (broadband[p] · bb(j) + coworking[p] · cw(j) + amenities_telework[p] · amen(j))
        · telework days / 5                      (where one teleworks, the place matters)
      + return bonus · urban(j)                  failed neo-rural projects only

The territory terms are computed once per step; the household loop never builds a
households × territories matrix. ``expected_flows`` sums the same probabilities over
weighted household types: the demand the housing market answers (see market.py). The
choice uses one uniform draw per household and
the inverse of the cumulative probabilities in territory order, so a small change of
utilities moves few choices (common random numbers).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from migrasim.decision import RETURN
from migrasim.rng import CHOICE, uniform


@nb.njit(inline="always", cache=True)
def _weights(v, p, o, w, tw, inv_budget, bonus, territory_terms, same, dist_coef, log_dist,
               cost_coef, rent, commute_coef, commute_min, broadband_coef, broadband,
               coworking_coef, coworking, amen_tw_coef, amenities, urban):
    """Fill ``v`` with exp(utility − max utility) of every territory; return their sum
    (choice probabilities are ``v / sum``)."""
    n = v.shape[0]
    digital_b = broadband_coef[p] * tw
    digital_c = coworking_coef[p] * tw
    living = amen_tw_coef[p] * tw
    commuting = commute_coef[p] * (1.0 - tw)
    cost = cost_coef[p] * inv_budget
    vmax = -np.inf
    for j in range(n):
        x = (territory_terms[p, j] + dist_coef[p] * log_dist[o, j] + cost * rent[j]
             + digital_b * broadband[j] + digital_c * coworking[j] + living * amenities[j]
             + bonus * urban[j])
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
    return total


@nb.njit(parallel=True, cache=True)
def choose(seed, month, movers, reason, home, profile, job, budget, telework_days,
           territory_terms, same, dist_coef, log_dist, cost_coef, rent, commute_coef,
           commute_min, broadband_coef, broadband, coworking_coef, coworking,
           amen_tw_coef, amenities, urban, return_bonus):
    """Chosen destination (territory position) of each mover."""
    m = movers.shape[0]
    n = rent.shape[0]
    chosen = np.empty(m, dtype=np.int32)
    for k in nb.prange(m):
        h = movers[k]
        v = np.empty(n)
        total = _weights(v, profile[h], home[h], job[h], telework_days[h] / 5.0,
                         1.0 / budget[h], return_bonus if reason[k] == RETURN else 0.0,
                         territory_terms, same, dist_coef, log_dist, cost_coef, rent,
                         commute_coef, commute_min, broadband_coef, broadband,
                         coworking_coef, coworking, amen_tw_coef, amenities, urban)
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


@nb.njit(parallel=True, cache=True)
def expected_flows(weight, home, profile, job, inv_budget, telework, territory_terms, same,
                   dist_coef, log_dist, cost_coef, rent, commute_coef, commute_min,
                   broadband_coef, broadband, coworking_coef, coworking, amen_tw_coef,
                   amenities, urban, chunks):
    """Expected arrivals and departures per territory of weighted household types.

    Types are split into a fixed number of chunks summed in order, so the result does
    not depend on the number of threads.
    """
    m = weight.shape[0]
    n = rent.shape[0]
    arrivals = np.zeros((chunks, n))
    departures = np.zeros((chunks, n))
    size = (m + chunks - 1) // chunks
    for c in nb.prange(chunks):
        v = np.empty(n)
        for k in range(c * size, min(m, (c + 1) * size)):
            o = home[k]
            total = _weights(v, profile[k], o, job[k], telework[k], inv_budget[k], 0.0,
                             territory_terms, same, dist_coef, log_dist, cost_coef, rent,
                             commute_coef, commute_min, broadband_coef, broadband,
                             coworking_coef, coworking, amen_tw_coef, amenities, urban)
            scale = weight[k] / total
            for j in range(n):
                if j != o:
                    arrivals[c, j] += v[j] * scale
            departures[c, o] += weight[k] - v[o] * scale
    return arrivals.sum(axis=0), departures.sum(axis=0)


def territory_terms(kind_const: np.ndarray, kind: np.ndarray, amen_coef: np.ndarray,
                    amenities: np.ndarray, serv_coef: np.ndarray, services: np.ndarray,
                    size_coef: float, stock: np.ndarray,
                    policy_utility: np.ndarray) -> np.ndarray:
    """A[p, j]: the part of utility that depends on the profile and destination only."""
    return (kind_const[:, kind] + amen_coef[:, None] * amenities[None, :]
            + serv_coef[:, None] * services[None, :]
            + size_coef * np.log1p(np.maximum(stock, 0))[None, :] + policy_utility)
