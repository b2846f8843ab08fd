"""Habitat: dwellings reserved for precarious locals."""

from __future__ import annotations

import numpy as np

from migrasim.params import Flag, NonNegative, Profile
from migrasim.policies.base import Policy, Targets


class SocialHousing(Policy):
    """Dwellings reserved for local renters of the profiles (social or intermediated
    rentals): renters at risk of displacement there — rent burden above the decision's
    displacement threshold — are protected up to the reserved units, so the displacement
    hazard × (1 − protected share)."""

    sheet = "Habitat"

    class Options(Targets):
        dwellings: NonNegative = 50.0  # design: real dwellings reserved
        each: Flag = False  # dwellings in each target (true) or in all, split by households
        profiles: list[Profile] = ["precarious"]  # whose renters they are reserved for
        # intermédiation locative (Solibail): ≈ 6.65 € a night a place (Ministère du
        # Logement, plan triennal 2015), ≈ 2,400 € a place a year; ≈ 2 places a dwelling
        cost_per_dwelling_per_year: NonNegative = 5_000.0

    def start(self, model) -> None:
        super().start(model)
        self.rows = self.profile_rows(model, self.options.profiles)

    def at_risk(self, model) -> np.ndarray:
        """Renters of the profiles at risk of displacement in each target (simulated)."""
        hh, targeted = model.households, np.zeros(len(model.territories), dtype=bool)
        targeted[self.where] = True
        h = np.flatnonzero(targeted[hh.home] & hh.alive & ~hh.owner)
        h = h[np.isin(hh.profile[h], self.rows)]
        burden = model.submodels.market.rent[hh.home[h]] / hh.budget[h]
        threshold = model.submodels.decision.params.displacement.threshold
        risk = np.bincount(hh.home[h[burden > threshold]], minlength=targeted.size)
        return risk[self.where]

    def step(self, model) -> None:
        if self.active(model):
            units = self.split(model, self.options.dwellings, self.options.each) * model.scale
            protected = np.minimum(1.0, units / np.maximum(self.at_risk(model), 1))
            model.levers.displacement_hazard[np.ix_(self.rows, self.where)] *= 1.0 - protected

    def cost(self, model) -> np.ndarray:
        o = self.options
        return self.spend(model, self.split(model, o.dwellings, o.each)
                          * o.cost_per_dwelling_per_year / 12)
