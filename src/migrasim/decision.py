"""Move decision: who considers moving this month, and why.

Monthly hazard by profile (annual rate p → 1 − (1 − p)^(1/12)), scaled by tenure, by
housing-cost burden above a reference, by the scenario's shocks (by origin class) and by
any policy's newcomer-retention multiplier. The same pass sums the hazards by household
type for the market's expected demand (demand.py). Two forced reasons come first: displacement
of precarious renters whose rent burden crossed a threshold, and the failure of a young
neo-rural project in a small or rural territory (a return move toward an urban pole).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from migrasim.rng import DISPLACEMENT, FAILURE, MOVE, uniform

STAY, ORDINARY, DISPLACED, RETURN = 0, 1, 2, 3
NEWCOMER_MONTHS = 36  # households that arrived less than three years ago are "newcomers"


@nb.njit(parallel=True, cache=True)
def decide(seed, month, home, profile, owner, budget, since, rent, hier,
           monthly_rate, tenure_factor, burden_ref, burden_slope, shock,
           precarious, displacement_threshold, displacement_rate,
           neo_rural, small_rural_class, failure_rate, project_months,
           newcomer_hazard, type_id, n_types, telework, chunks):
    """Reason code per household (STAY, ORDINARY, DISPLACED, RETURN), and, in the same
    pass, the sums by household type of the ordinary hazard, of hazard / budget and of
    hazard × telework days: the expected demand the market answers (demand.py). Type
    sums are chunk-local over a fixed split, so they do not depend on the thread count."""
    n = home.shape[0]
    reason = np.zeros(n, dtype=np.int8)
    sums = np.zeros((chunks, 3, n_types))
    size = (n + chunks - 1) // chunks
    for c in nb.prange(chunks):
        for h in range(c * size, min(n, (c + 1) * size)):
            j = home[h]
            p = profile[h]
            burden = rent[j] / budget[h] if not owner[h] else 0.0
            newcomer = since[h] < NEWCOMER_MONTHS
            retention = newcomer_hazard[j] if newcomer else 1.0
            hz = monthly_rate[p] * tenure_factor[0 if owner[h] else 1] * shock[p, hier[j]]
            if burden > burden_ref:
                hz *= 1.0 + burden_slope * (burden - burden_ref)
            hz *= retention
            t = type_id[h]
            sums[c, 0, t] += hz
            sums[c, 1, t] += hz / budget[h]
            sums[c, 2, t] += hz * telework[h]
            if p == precarious and not owner[h] and burden > displacement_threshold:
                if uniform(seed, h, month, DISPLACEMENT) < displacement_rate:
                    reason[h] = DISPLACED
                    continue
            if p == neo_rural and since[h] < project_months and hier[j] == small_rural_class:
                if uniform(seed, h, month, FAILURE) < failure_rate * retention:
                    reason[h] = RETURN
                    continue
            if uniform(seed, h, month, MOVE) < hz:
                reason[h] = ORDINARY
    total = sums[0].copy()
    for c in range(1, chunks):
        total += sums[c]
    return reason, total


def monthly(annual: np.ndarray) -> np.ndarray:
    """Monthly probability equivalent to an annual one."""
    return 1.0 - (1.0 - np.asarray(annual, dtype=np.float64)) ** (1.0 / 12.0)
