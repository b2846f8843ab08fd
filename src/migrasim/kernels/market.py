"""Housing-market kernel: local prices and rents answer the month's excess demand."""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np


class State(NamedTuple):
    price: np.ndarray     # €/m²
    rent: np.ndarray      # €/month
    smoothed: np.ndarray  # smoothed pressure


class Adjustment(NamedTuple):
    """How prices answer pressure."""

    response: float        # Δlog price per unit of smoothed pressure
    vacancy_weight: float  # weight of vacancy above its initial rate
    inertia: float         # smoothing of pressure
    max_change: float      # bound on |Δlog price| a month
    pass_through: float    # Δlog rent / Δlog price


@nb.njit(cache=True)
def update(state, adjustment, arrivals, departures, vacant, dwellings, vacancy0):
    """Update prices, rents and smoothed pressure in place for one month."""
    price, rent, smoothed = state
    response, vacancy_weight, inertia, max_change, pass_through = adjustment
    for j in range(price.shape[0]):
        stock = max(dwellings[j], 1)
        vacancy = vacant[j] / stock
        pressure = ((arrivals[j] - departures[j]) / stock
                    - vacancy_weight * (vacancy - vacancy0[j]))
        smoothed[j] = inertia * smoothed[j] + (1.0 - inertia) * pressure
        g = min(max(response * smoothed[j], -max_change), max_change)
        price[j] *= np.exp(g)
        rent[j] *= np.exp(pass_through * g)
