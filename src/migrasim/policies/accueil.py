"""Mission Accueil des nouveaux arrivants (PETR du Haut-Rouergue)."""

from __future__ import annotations

import numpy as np

from migrasim.errors import ConfigError
from migrasim.params import Probability, Profile, Real
from migrasim.policies.base import Policy, Targets


class AccueilMission(Policy):
    """A welcome mission: marketing makes the territory better known to newcomers (a
    utility bonus), follow-up makes them stay (lower move and project-failure hazards)."""

    class Options(Targets):
        marketing_bonus: Real = 0.3       # design: utility added for the targeted profiles
        retention: Probability = 0.7      # design: × newcomers' move and failure hazards
        profiles: list[Profile] | None = None  # targeted profiles (default: all)

    def start(self, model) -> None:
        super().start(model)
        names = self.options.profiles
        unknown = sorted(set(names or ()) - set(model.profiles))
        if unknown:
            raise ConfigError(f"{self.key}.profiles", unknown[0],
                              f"profiles of this model {model.profiles}")
        self.rows = (np.arange(len(model.profiles)) if names is None
                     else np.array([model.profiles.index(p) for p in names]))

    def step(self, model) -> None:
        if not self.active(model):
            return
        model.levers.utility[np.ix_(self.rows, self.where)] += self.options.marketing_bonus
        model.levers.newcomer_hazard[self.where] *= self.options.retention
