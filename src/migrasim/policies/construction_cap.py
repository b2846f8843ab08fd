"""Zéro artificialisation nette (ZAN): a cap on new dwellings."""

from __future__ import annotations

import numpy as np

from migrasim.params import NonNegative
from migrasim.policies.base import Policy, Targets


class ConstructionCap(Policy):
    """Cap new dwellings in the targeted territories, in real dwellings a year."""

    sheet = "Foncier"

    class Options(Targets):
        dwellings_per_year: NonNegative = 0.0  # design: real dwellings a year at most
        # design: 0, a planning rule is not a budget line (what it forgoes is in the
        # results); set the planning service's cost here, split by households
        cost_per_year: NonNegative = 0.0

    def step(self, model) -> None:
        if self.active(model):
            cap = self.options.dwellings_per_year * model.scale / 12.0
            lever = model.levers.construction_cap
            lever[self.where] = np.minimum(lever[self.where], cap)

    def cost(self, model) -> np.ndarray:
        return self.spend(model, self.options.cost_per_year / 12 * self.households_share(model))
