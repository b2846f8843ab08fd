"""The focus area: territories simulated at a finer scale, and heavy movers split into it.

Households synthesised in the focus weigh ``w = scale / focus_scale`` base units (one
real household at ``focus_scale = 1``); the others weigh 1. When a heavy household (W > w)
moves, the location choice splits it (kernels/focus.py): units of weight w, copies of
it with keys of their own (rng.unit_key), move toward the focus territories, and the
household, lighter, chooses among the others; a household left with no weight, having
sent every slot, becomes the last unit itself. Weights and persons are conserved; units
stay light wherever they go (docs/focus.md).
"""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING

import numpy as np

from migrasim.kernels import focus as kernels
from migrasim.kernels.choice import Tables
from migrasim.territories import Territories

if TYPE_CHECKING:
    from migrasim.model import MigrationModel

CHUNKS = 64  # fixed split of the heavy movers (each one's choice is its own)
EPS = 1e-6  # of a unit's weight: what rounding may leave of a weight (design)


class FocusArea:
    """The focus territories of a run and the weight of a household simulated there."""

    def __init__(self, territories: Territories, scale: float):
        self.territories = np.flatnonzero(territories.focus).astype(np.int64)
        self.unit = scale / territories.focus_scale if self.territories.size else 1.0

    def __bool__(self) -> bool:
        return bool(self.territories.size)

    def split(self, model: MigrationModel, tables: Tables,
              chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Split this month's heavy movers (``model.submodels.decision``; their
        destinations in ``chosen`` are replaced): the units join the movers, after them.
        Returns the destinations of every mover and the positions of the units."""
        d, hh, seed, month = model.submodels.decision, model.households, model.seed, model.month
        heavy = np.flatnonzero(hh.weight[d.movers] > self.unit * (1.0 + EPS))
        if heavy.size == 0:
            return chosen, heavy
        who = d.movers[heavy]
        outside, share, inside = kernels.outside_choices(
            seed, month, who, d.why[heavy], hh.arrays(), tables, self.territories, CHUNKS)
        weight = hh.weight[who]
        slots = np.floor(weight / self.unit + EPS).astype(np.int64)
        mover, keys = kernels.split(seed, month, hh.key[who], share, slots)
        sent = np.bincount(mover, minlength=who.size)
        # a household that sent every slot and has nothing left is the last unit itself
        last = (sent > 0) & (weight - sent * self.unit < self.unit * EPS)
        keep = np.ones(mover.size, dtype=bool)
        keep[(np.cumsum(sent) - 1)[last]] = False
        mover, keys = mover[keep], keys[keep]
        sent[last] -= 1
        hh.weight[who] = weight - sent * self.unit
        stays = outside >= 0  # else every territory with a weight is in the focus: the
        chosen[heavy[stays]] = outside[stays]  # choice among all of them stands
        chosen[heavy[last]] = kernels.inside_choices(seed, month, hh.key[who[last]],
                                                     inside[last], self.territories)
        units = self.add(model, who[mover], keys)
        destination = kernels.inside_choices(seed, month, keys, inside[mover],
                                             self.territories)
        d.movers = np.concatenate([d.movers, units])
        d.why = np.concatenate([d.why, d.why[heavy[mover]]])
        d.origin = np.concatenate([d.origin, d.origin[heavy[mover]]])
        changers, former = d.old_jobs  # a unit that finds no home keeps the former job too
        parents = who[mover]
        at = np.flatnonzero(np.isin(parents, changers, kind="table"))
        order = np.argsort(changers)
        of = order[np.searchsorted(changers[order], parents[at])]
        d.old_jobs = (np.concatenate([changers, units[at]]), np.concatenate([former, former[of]]))
        return np.concatenate([chosen, destination]), units

    def add(self, model: MigrationModel, parents: np.ndarray, keys: np.ndarray) -> np.ndarray:
        """Units of weight ``unit``, copies of ``parents`` with ``keys``: their positions."""
        hh = model.households
        units = hh.grow(parents.size, keys=keys)
        for f in fields(hh):
            if f.name != "key":
                getattr(hh, f.name)[units] = getattr(hh, f.name)[parents]
        hh.weight[units] = self.unit
        model.types.grow(units.size)
        model.types.id[units] = model.types.id[parents]
        return units
