"""Capacity: a household moves only into a vacant dwelling.

Movers are served one at a time in a random order (a lottery: each mover's priority is
its own draw). A move inside the home territory swaps one dwelling for another and
always succeeds; a move elsewhere takes a vacant dwelling of the destination if one is
left, and frees the mover's dwelling at once, so later movers can take it. The unlucky
stay where they are and count as unmet demand of the destination. Dwellings are counted
in base units: a household of weight w takes and frees w of them (docs/focus.md).
Households and dwellings are conserved.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from migrasim import rng
from migrasim.kernels import capacity
from migrasim.kernels.decision import FORMATION
from migrasim.submodels.base import Result, Submodel

if TYPE_CHECKING:
    from migrasim.model import MigrationModel


class Capacity(Submodel):
    """Movers are served in lottery order, each into a vacant dwelling of the chosen
    territory if one is left."""

    name = "capacity"
    title = "Capacity"
    after = ("decision", "choice")
    results = (Result("unmet_demand", "households",
                      "movers who found no vacant dwelling here and stayed home"),)

    def init(self, model: MigrationModel) -> None:
        self.moved = np.empty(0, dtype=np.bool_)  # per mover: served this month
        self.unmet = np.zeros(len(model.territories))

    def step(self, model: MigrationModel) -> None:
        decision, choice = model.submodels.decision, model.submodels.choice
        hh = model.households
        order = np.argsort(rng.uniforms(model.seed, hh.key[decision.movers], model.month,
                                        rng.LOTTERY), kind="stable")
        self.unmet = np.zeros(len(model.territories))
        self.moved = capacity.allocate(order, choice.chosen, decision.origin,
                                       hh.weight[decision.movers], model.stock.vacant,
                                       self.unmet, decision.why >= FORMATION)

    def record(self, model: MigrationModel) -> dict[str, np.ndarray]:
        return {"unmet_demand": self.unmet}
