"""Mobilités: a faster link to the employment pole."""

from __future__ import annotations

import numpy as np

from migrasim.params import NonNegative, number
from migrasim.policies.base import Policy, Targets


class Transport(Policy):
    """A faster link from the targeted territories to their employment pole (an express
    coach or a better rail service): one-way commute minutes from homes there to the pole
    × (1 − ``share``), in the choice's commute term and in the reach rule."""

    sheet = "Mobilités"

    class Options(Targets):
        share: number(0.0, 1.0, hi_open=True) = 0.2  # design: a fifth of the trip saved
        # design: the yearly operating deficit of a regional express coach line, a few
        # hundred thousand euros; a flat budget, split by households
        cost_per_year: NonNegative = 400_000.0

    def step(self, model) -> None:
        if self.active(model):
            model.levers.pole_commute[self.where] *= 1.0 - self.options.share

    def cost(self, model) -> np.ndarray:
        return self.spend(model, self.options.cost_per_year / 12 * self.households_share(model))
