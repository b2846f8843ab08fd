"""Household types: the groups in which the market's expected demand is summed.

The housing market answers the demand households express, in expectation: each
household's monthly move hazard times its choice probabilities (submodels/market.py). Utility is
linear in 1 / budget and in the telework share, so households sharing (home, segment,
job) form a *type* whose hazard-weighted means of those two keep the type's expected
utility; at full scale 31 million households fall into about 12,500 types.

Types change only when a household moves (home, job), changes profile or age class, so
each household's type id is kept up to date incrementally (``TypeIndex.update``) instead
of being recomputed by sorting every month; ids of new combinations are appended, and
types left empty are dropped once a year (``TypeIndex.compact``).
"""

from __future__ import annotations

import numpy as np

from migrasim.kernels.choice import Types


class TypeIndex:
    """Type id of every household and the (home, segment, job) of every type (segment =
    profile × age class, migrasim.ages). Ids are found by binary search in the sorted
    keys (a dense lookup table over territories² × segments would take 180 MB)."""

    def __init__(self, n_territories: int, n_segments: int, home: np.ndarray,
                 segment: np.ndarray, job: np.ndarray, n_sites: int | None = None):
        # jobs are held at job sites: the territories, then the cross-border poles
        self.n, self.P = (n_territories if n_sites is None else n_sites), n_segments
        keys = self._keys(home, segment, job)
        self.keys, self.id = np.unique(keys, return_inverse=True)
        self.id = self.id.astype(np.int32)
        self._sort()

    def _keys(self, home, segment, job) -> np.ndarray:
        return (home.astype(np.int64) * self.P + segment) * (self.n + 1) + job + 1

    def _sort(self) -> None:
        order = np.argsort(self.keys, kind="stable")
        self._sorted, self._ids = self.keys[order], order.astype(np.int32)

    def _find(self, keys: np.ndarray) -> np.ndarray:
        pos = np.minimum(np.searchsorted(self._sorted, keys), max(self._sorted.size - 1, 0))
        found = self._sorted[pos] == keys if self._sorted.size else np.zeros(keys.size, bool)
        return np.where(found, self._ids[pos], -1).astype(np.int32)

    def update(self, who: np.ndarray, home: np.ndarray, segment: np.ndarray,
               job: np.ndarray) -> None:
        """Re-type households ``who`` after a move or a change of segment or job (arrays
        are whole-population)."""
        keys = self._keys(home[who], segment[who], job[who])
        ids = self._find(keys)
        new = np.unique(keys[ids < 0])
        if new.size:
            self.keys = np.concatenate([self.keys, new])
            self._sort()
            ids = self._find(keys)
        self.id[who] = ids

    def grow(self, k: int) -> None:
        """Room for ``k`` new households (their ids are set by ``update`` when they form)."""
        self.id = np.concatenate([self.id, np.zeros(k, dtype=np.int32)])

    def compact(self, alive: np.ndarray | None = None) -> None:
        """Forget the types no (living) household belongs to any more (ids are renumbered):
        moves keep creating new (home, job) combinations; empty types weigh nothing in the
        expected flows but would keep growing the per-chunk sums of every decision pass."""
        members = self.id if alive is None else self.id[alive]
        live = np.bincount(members, minlength=self.keys.size) > 0
        renumber = np.cumsum(live, dtype=np.int32) - 1
        self.keys = self.keys[live]
        self.id = np.where(live[self.id], renumber[self.id], 0).astype(np.int32)
        self._sort()

    def __len__(self) -> int:
        return self.keys.size

    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(home, segment, job) of each type; job is −1 for households without one."""
        rest, job = np.divmod(self.keys, self.n + 1)
        home, segment = np.divmod(rest, self.P)
        return home, segment, job - 1


def household_types(types: TypeIndex, sums: np.ndarray) -> Types:
    """Types weighted by their ordinary monthly move hazard, from the sums by type that
    the move decision returns (kernels.decision.decide): weight, home, segment, job, mean
    1 / budget and mean telework share of the week."""
    weight = sums[0]
    safe = np.maximum(weight, 1e-300)
    home, segment, job = (c[:weight.size] for c in types.columns())  # types at the sums
    return Types(weight, home, segment, job, sums[1] / safe, sums[2] / safe / 5.0)
