"""Incomes kernel: a month's income growth for every household, and the budget that
follows from it, in one parallel pass (numpy would make two, on one core)."""

from __future__ import annotations

import numba as nb


@nb.njit(parallel=True, cache=True)
def grow(income, budget, profile, housing_factor, factor):
    """``income *= factor`` and ``budget = income / housing_factor[profile]`` for every
    slot (the same float operations as numpy's)."""
    for h in nb.prange(income.shape[0]):
        x = income[h] * factor
        income[h] = x
        budget[h] = x / housing_factor[profile[h]]
