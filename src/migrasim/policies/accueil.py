"""Mission Accueil des nouveaux arrivants (PETR du Haut-Rouergue)."""

from __future__ import annotations

import numpy as np

from migrasim.params import NonNegative, Probability, Profile, Real
from migrasim.policies.base import Policy, Targets


class AccueilMission(Policy):
    """A welcome mission: marketing makes the territory better known to newcomers (a
    utility bonus), follow-up makes them stay (lower move and project-failure hazards),
    both for the targeted profiles."""

    sheet = "Accueil"

    class Options(Targets):
        marketing_bonus: Real = 0.3       # design: utility added for the targeted profiles
        retention: Probability = 0.7      # design: × newcomers' move and failure hazards
        profiles: list[Profile] | None = None  # targeted profiles (default: all)
        # design: one full-time chargé(e) de mission (an attaché territorial, ≈ 2,800 €
        # gross a month × 1.45 employer contributions ≈ 49,000 € a year) and ≈ 11,000 € of
        # communication and events; a flat budget, split by households
        cost_per_year: NonNegative = 60_000.0

    def start(self, model) -> None:
        super().start(model)
        self.rows = self.profile_rows(model, self.options.profiles)

    def step(self, model) -> None:
        if not self.active(model):
            return
        model.levers.utility[np.ix_(self.rows, self.where)] += self.options.marketing_bonus
        model.levers.newcomer_hazard[np.ix_(self.rows, self.where)] *= self.options.retention

    def cost(self, model) -> np.ndarray:
        return self.spend(model, self.options.cost_per_year / 12 * self.households_share(model))
