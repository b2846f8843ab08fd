"""Numérique: fibre to the premises."""

from __future__ import annotations

import numpy as np
from pydantic import model_validator

from migrasim import calendar
from migrasim.params import Month, NonNegative, Probability, fail
from migrasim.policies.base import Policy, Targets


class Broadband(Policy):
    """Broadband coverage of the targeted territories raised to ``level``, linearly from
    ``from`` (its first month) to ``by`` (reached that month); the choice's broadband score
    is the higher of the prior score and the coverage. Cost: premises connected ≈
    dwellings × the month's rise of the score."""

    sheet = "Numérique"

    class Options(Targets):
        level: Probability = 1.0  # design: full coverage, the goal of the Plan France THD
        by: Month | None = None   # the month the level is reached (default: at once)
        # Cour des comptes (Jan. 2017): the Plan France Très Haut Débit, ≈ 35 bn€ for ≈ 35
        # million premises, ≈ 1,000 € a premise (public zones: 13–14 bn€, ≈ 43 % of them)
        cost_per_premise: NonNegative = 1_000.0

        @model_validator(mode="after")
        def _by(self):
            if self.by and self.from_ and calendar.parse(self.by) < calendar.parse(self.from_):
                raise fail(f"a month at or after 'from' ({self.from_})", key="by", value=self.by)
            return self

    def start(self, model) -> None:
        super().start(model)
        self.first = max(self.first, model.start_month)
        by = calendar.parse(self.options.by) if self.options.by else self.first
        self.full = max(by, self.first)  # a month before the run's start: at once
        self.score = model.territories.array("broadband")[self.where]

    def coverage(self, month: int) -> np.ndarray:
        """Broadband score of each target at the end of ``month``'s deployment."""
        done = np.clip((month - self.first + 1) / (self.full - self.first + 1), 0.0, 1.0)
        return np.maximum(self.score, self.score + done * (self.options.level - self.score))

    def step(self, model) -> None:
        if self.active(model):
            lever = model.levers.broadband
            lever[self.where] = np.maximum(lever[self.where], self.coverage(model.month))

    def cost(self, model) -> np.ndarray:
        rise = self.coverage(model.month) - self.coverage(model.month - 1)
        premises = model.stock.dwellings[self.where] / model.scale * rise
        return self.spend(model, premises * self.options.cost_per_premise)
