"""Zéro artificialisation nette (ZAN): a cap on new dwellings."""

from __future__ import annotations

import numpy as np

from migrasim.params import NonNegative
from migrasim.policies.base import Policy, Targets


class ConstructionCap(Policy):
    """Cap new dwellings in the targeted territories, in real dwellings a year."""

    class Options(Targets):
        dwellings_per_year: NonNegative = 0.0  # design: real dwellings a year at most

    def step(self, model) -> None:
        if self.active(model):
            cap = self.options.dwellings_per_year * model.scale / 12.0
            lever = model.levers.construction_cap
            lever[self.where] = np.minimum(lever[self.where], cap)
