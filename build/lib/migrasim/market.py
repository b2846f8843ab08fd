"""Housing market: local prices and rents answer excess demand; construction answers prices.

Per territory and month:

    pressure  = (expected arrivals − expected departures) / stock
                − vacancy_weight · (vacancy − initial vacancy)
    smoothed  = inertia · smoothed + (1 − inertia) · pressure
    Δlog price = clip(response · smoothed, ± max monthly change)
    Δlog rent  = rent_pass_through · Δlog price
    new dwellings = construction_rate · stock · max(0, price / max(cost, initial price) − 1),
                    capped by any construction cap (e.g. ZAN), added to the vacant stock

Expected arrivals and departures are the month's move hazards times choice
probabilities, summed over every household (grouped in types: home, profile, job): the
demand households express, served or not (unmet demand pushes prices up). Using the
expectation rather than this month's few simulated movers keeps the price path free of
the sampling noise of the scale (a 1:100 territory may hold 30 households) and makes
scenario differences behavioural, not noise (design choice, docs/odd.md).
"""

from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(cache=True)
def clear(price, rent, smoothed, built, vacant, dwellings, demand, leaving, vacancy0,
          price_floor_build, cap, response, vacancy_weight, inertia, max_change,
          pass_through, construction_rate):
    """Update prices, rents and the stock in place for one month."""
    n = price.shape[0]
    for j in range(n):
        stock = max(dwellings[j], 1)
        vacancy = vacant[j] / stock
        pressure = (demand[j] - leaving[j]) / stock - vacancy_weight * (vacancy - vacancy0[j])
        smoothed[j] = inertia * smoothed[j] + (1.0 - inertia) * pressure
        g = min(max(response * smoothed[j], -max_change), max_change)
        price[j] *= np.exp(g)
        rent[j] *= np.exp(pass_through * g)
        gap = price[j] / price_floor_build[j] - 1.0
        if gap > 0.0:
            built[j] += min(construction_rate * stock * gap, cap[j])
        new = np.int64(built[j])
        if new > 0:
            built[j] -= new
            vacant[j] += new
            dwellings[j] += new
