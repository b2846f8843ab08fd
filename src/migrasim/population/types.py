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
from migrasim.population.buffers import appended


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
        order = np.argsort(self.keys)  # keys are unique: any sort gives this order
        self._sorted, self._ids = self.keys[order], order.astype(np.int32)

    def _find(self, keys: np.ndarray) -> np.ndarray:
        """Id of each key, −1 for a key without a type. The keys are searched in sorted
        order: successive searches then walk nearby entries, ~4× faster than in the
        households' order for a few hundred thousand keys."""
        if not self._sorted.size:
            return np.full(keys.size, -1, dtype=np.int32)
        order = np.argsort(keys)
        pos = np.empty(keys.size, dtype=np.int64)
        pos[order] = np.searchsorted(self._sorted, keys[order])
        pos = np.minimum(pos, self._sorted.size - 1)
        return np.where(self._sorted[pos] == keys, self._ids[pos], -1).astype(np.int32)

    def update(self, who: np.ndarray, home: np.ndarray, segment: np.ndarray,
               job: np.ndarray) -> None:
        """Re-type households ``who`` after a move or a change of segment or job (arrays
        are whole-population). New combinations take the next ids, in key order, and are
        merged into the sorted keys (no full sort)."""
        keys = self._keys(home[who], segment[who], job[who])
        ids = self._find(keys)
        missing = ids < 0
        if missing.any():
            new = np.unique(keys[missing])
            first = self.keys.size
            self.keys = np.concatenate([self.keys, new])
            at = np.searchsorted(self._sorted, new)
            self._sorted = np.insert(self._sorted, at, new)
            self._ids = np.insert(self._ids, at, np.arange(first, first + new.size,
                                                           dtype=np.int32))
            ids[missing] = first + np.searchsorted(new, keys[missing])
        self.id[who] = ids

    def grow(self, k: int) -> None:
        """Room for ``k`` new households (their ids are set by ``update`` when they form):
        ``id`` is a view of a buffer with spare room, so most months append without
        copying it."""
        self.id, self._buffer = appended(self.id, self.__dict__.get("_buffer"), k, 0)

    def __getstate__(self) -> dict:
        """Pickled (checkpoints) without the growth buffer (see ``Households``)."""
        return {k: v for k, v in self.__dict__.items() if k != "_buffer"}

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
