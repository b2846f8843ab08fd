"""Expected demand: household types, their move hazards and their expected flows.

The housing market answers the demand households express, in expectation: each
household's monthly move hazard times its choice probabilities (market.py). Utility is
linear in 1 / budget and in the telework share, so households sharing (home, profile,
job) form a *type* whose hazard-weighted means of those two keep the type's expected
utility; at full scale 31 million households fall into about 12,500 types.

Types change only when a household moves (home, job) or changes profile, so each
household's type id is kept up to date incrementally (``TypeIndex.update``) instead of
being recomputed by sorting every month; ids of new combinations are appended.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from migrasim import choice, decision

CHUNKS = 64  # fixed work split, independent of the thread count
WEIGHT_CHUNKS = 8  # fixed split of the per-household pass (type sums are chunk-local)


class TypeIndex:
    """Type id of every household and the (home, profile, job) of every type."""

    def __init__(self, n_territories: int, n_profiles: int, home: np.ndarray,
                 profile: np.ndarray, job: np.ndarray):
        self.n, self.P = n_territories, n_profiles
        self._lookup = np.full(n_territories * n_profiles * (n_territories + 1), -1,
                               dtype=np.int32)
        keys = self._keys(home, profile, job)
        self._lookup[keys] = 0
        seen = np.flatnonzero(self._lookup == 0)
        self._lookup[seen] = np.arange(seen.size, dtype=np.int32)
        self.keys = seen.astype(np.int64)
        self.id = self._lookup[keys]

    def _keys(self, home, profile, job) -> np.ndarray:
        return (home.astype(np.int64) * self.P + profile) * (self.n + 1) + job + 1

    def update(self, who: np.ndarray, home: np.ndarray, profile: np.ndarray,
               job: np.ndarray) -> None:
        """Re-type households ``who`` after a move (arrays are whole-population)."""
        keys = self._keys(home[who], profile[who], job[who])
        new = np.unique(keys[self._lookup[keys] < 0])
        self._lookup[new] = np.arange(self.keys.size, self.keys.size + new.size,
                                      dtype=np.int32)
        self.keys = np.concatenate([self.keys, new])
        self.id[who] = self._lookup[keys]

    def __len__(self) -> int:
        return self.keys.size

    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(home, profile, job) of each type; job is −1 for households without one."""
        rest, job = np.divmod(self.keys, self.n + 1)
        home, profile = np.divmod(rest, self.P)
        return home, profile, job - 1


@nb.njit(parallel=True, cache=True)
def _type_sums(type_id, n_types, home, profile, owner, budget, since, telework, rent, hier,
               monthly_rate, tenure_factor, burden_ref, burden_slope, shock, newcomer_hazard,
               chunks):
    n = type_id.shape[0]
    sums = np.zeros((chunks, 3, n_types))
    size = (n + chunks - 1) // chunks
    for c in nb.prange(chunks):
        for h in range(c * size, min(n, (c + 1) * size)):
            j = home[h]
            p = profile[h]
            hz = monthly_rate[p] * tenure_factor[0 if owner[h] else 1] * shock[p, hier[j]]
            if not owner[h]:
                burden = rent[j] / budget[h]
                if burden > burden_ref:
                    hz *= 1.0 + burden_slope * (burden - burden_ref)
            if since[h] < decision.NEWCOMER_MONTHS:
                hz *= newcomer_hazard[j]
            t = type_id[h]
            sums[c, 0, t] += hz
            sums[c, 1, t] += hz / budget[h]
            sums[c, 2, t] += hz * telework[h]
    total = sums[0].copy()
    for c in range(1, chunks):
        total += sums[c]
    return total


def household_types(model, shock: np.ndarray | None = None) -> tuple:
    """Types weighted by the ordinary monthly move hazard (as decision.decide, in
    expectation): (weight, home, profile, job, mean 1 / budget, mean telework share)."""
    hh = model.households
    mv = model.move_params
    if shock is None:
        shock = np.ones((len(model.profiles), model.hier.max() + 1))
    sums = _type_sums(model.types.id, len(model.types), hh.home, hh.profile, hh.owner,
                      model.budget(), hh.months_since_arrival, hh.telework_days, model.rent,
                      model.hier, model.monthly_rate, model.tenure_factor,
                      float(mv["burden_ref"]), float(mv["burden_slope"]), shock,
                      model.newcomer_hazard, WEIGHT_CHUNKS)
    weight = sums[0]
    safe = np.maximum(weight, 1e-300)
    home, profile, job = model.types.columns()
    return weight, home, profile, job, sums[1] / safe, sums[2] / safe / 5.0


def expected_flows(types: tuple, tables: choice.Tables) -> tuple[np.ndarray, np.ndarray]:
    """Expected arrivals and departures a month per territory for household ``types``."""
    return choice.expected_flows(*types, tables, CHUNKS)
