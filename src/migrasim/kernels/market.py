"""Housing-market kernel: a national price component and local prices and rents that
answer the month's excess demand and vacancy."""

from __future__ import annotations

import math
from typing import NamedTuple

import numba as nb
import numpy as np


class State(NamedTuple):
    price: np.ndarray     # €/m²: initial price × exp(national + local)
    rent: np.ndarray      # €/month
    smoothed: np.ndarray  # smoothed pressure
    local: np.ndarray     # local log price component (sum of the local Δlog prices)
    vacancy: np.ndarray   # smoothed vacancy rate


class Base(NamedTuple):
    """What the territories started from."""

    price: np.ndarray     # initial price, €/m²
    vacancy: np.ndarray   # initial vacancy rate


class Adjustment(NamedTuple):
    """How local prices answer pressure, and rents prices."""

    response: float           # Δlog price per unit of smoothed pressure
    vacancy_weight: float     # weight of smoothed vacancy above its initial rate
    vacancy_smoothing: float  # share of this month's vacancy in the smoothed vacancy
    inertia: float            # smoothing of pressure
    max_change: float         # bound on |local Δlog price| a month
    pass_through: float       # Δlog rent / local Δlog price (re-letting)


class National(NamedTuple):
    """The month's national terms."""

    level: float        # national log price component
    rent_growth: float  # Δlog rent of sitting tenants (IRL)


class Fundamentals(NamedTuple):
    """The national price level's user-cost / affordability fundamental."""

    income_elasticity: float     # target log price per log income
    rate_semi_elasticity: float  # target log price per point of mortgage rate
    adjustment: float            # monthly share of the gap to the target closed


def national(level: float, income_index: float, rate_gap: float,
             fundamentals: Fundamentals) -> float:
    """The national log price component after one month of partial adjustment toward
    income_elasticity · log(income index) + rate_semi_elasticity · (rate − initial rate)."""
    income_elasticity, rate_semi_elasticity, adjustment = fundamentals
    target = income_elasticity * math.log(income_index) + rate_semi_elasticity * rate_gap
    return level + adjustment * (target - level)


@nb.njit(cache=True)
def update(state, adjustment, base, month, arrivals, departures, vacant, dwellings):
    """Update prices, rents, smoothed pressure and vacancy in place for one month:
    ``month`` holds the national log price level and the IRL's Δlog of the month."""
    price, rent, smoothed, local, smoothed_vacancy = state
    (response, vacancy_weight, vacancy_smoothing, inertia, max_change,
     pass_through) = adjustment
    price0, vacancy0 = base
    level, rent_growth = month
    for j in range(price.shape[0]):
        stock = max(dwellings[j], 1)
        smoothed_vacancy[j] += vacancy_smoothing * (vacant[j] / stock - smoothed_vacancy[j])
        pressure = ((arrivals[j] - departures[j]) / stock
                    - vacancy_weight * (smoothed_vacancy[j] - vacancy0[j]))
        smoothed[j] = inertia * smoothed[j] + (1.0 - inertia) * pressure
        g = min(max(response * smoothed[j], -max_change), max_change)
        local[j] += g
        price[j] = price0[j] * np.exp(level + local[j])
        rent[j] *= np.exp(rent_growth + pass_through * g)
