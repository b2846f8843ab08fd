"""Household types: the groups in which the market's expected demand is summed.

The housing market answers the demand households express, in expectation: each
household's monthly move hazard times its choice probabilities (submodels/market.py). Utility is
linear in 1 / budget and in the telework share, so households sharing (home, profile,
job) form a *type* whose hazard-weighted means of those two keep the type's expected
utility; at full scale 31 million households fall into about 12,500 types.

Types change only when a household moves (home, job) or changes profile, so each
household's type id is kept up to date incrementally (``TypeIndex.update``) instead of
being recomputed by sorting every month; ids of new combinations are appended, and
types left empty are dropped once a year (``TypeIndex.compact``).
"""

from __future__ import annotations

import numpy as np

from migrasim.kernels.choice import Types


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

    def compact(self) -> None:
        """Forget the types no household belongs to any more (ids are renumbered): moves
        keep creating new (home, job) combinations; empty types weigh nothing in the
        expected flows but would keep growing the per-chunk sums of every decision pass."""
        live = np.bincount(self.id, minlength=self.keys.size) > 0
        self._lookup[self.keys[~live]] = -1
        self.keys = self.keys[live]
        self._lookup[self.keys] = np.arange(self.keys.size, dtype=np.int32)
        self.id = (np.cumsum(live, dtype=np.int32) - 1)[self.id]

    def __len__(self) -> int:
        return self.keys.size

    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(home, profile, job) of each type; job is −1 for households without one."""
        rest, job = np.divmod(self.keys, self.n + 1)
        home, profile = np.divmod(rest, self.P)
        return home, profile, job - 1


def household_types(types: TypeIndex, sums: np.ndarray) -> Types:
    """Types weighted by their ordinary monthly move hazard, from the sums by type that
    the move decision returns (kernels.decision.decide): weight, home, profile, job, mean
    1 / budget and mean telework share of the week."""
    weight = sums[0]
    safe = np.maximum(weight, 1e-300)
    home, profile, job = (c[:weight.size] for c in types.columns())  # types at the sums
    return Types(weight, home, profile, job, sums[1] / safe, sums[2] / safe / 5.0)
