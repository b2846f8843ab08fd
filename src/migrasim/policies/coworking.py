"""Tiers-lieux: coworking seats near home."""

from __future__ import annotations

import numpy as np

from migrasim.params import Flag, NonNegative, Positive, Profile, number
from migrasim.policies.base import Policy, Targets


class Coworking(Policy):
    """Coworking seats opened in the targeted territories, serving as many households of
    the profiles as seats × users per seat: teleworkers value the place more (its
    coworking score rises with the share served), and hybrid commuters work there
    instead of commuting ``days_replaced`` days a week (shared among them)."""

    sheet = "Tiers-lieux"

    class Options(Targets):
        seats: NonNegative = 20.0  # design: one rural tiers-lieu's coworking room (real)
        each: Flag = False         # seats in each target (true) or in all, split by households
        profiles: list[Profile] = ["hybrid"]   # who replaces commute days there
        days_replaced: number(0.0, 5.0, lo_open=True) = 1.0  # design: one commute day a week
        users_per_seat: Positive | None = None  # design, null: 5 / days_replaced (a seat
        #                                         taken every working day)
        # the State's operating grant of a Fabrique de territoire, up to 50,000 € a year
        # (ANCT, AMI "Fabriques de territoire", July 2019), over ≈ 20 seats
        cost_per_seat_per_year: NonNegative = 2_500.0

    def start(self, model) -> None:
        super().start(model)
        self.rows = self.profile_rows(model, self.options.profiles)

    def served(self, model) -> np.ndarray:
        """Share of the profiles' households of each target that a seat serves."""
        o = self.options
        users = (self.split(model, o.seats, o.each) * model.scale
                 * (o.users_per_seat or 5.0 / o.days_replaced))
        households = model.stock.by_profile[np.ix_(self.where, self.rows)].sum(axis=1)
        return np.minimum(1.0, users / np.maximum(households, 1))

    def step(self, model) -> None:
        if self.active(model):
            served, lever = self.served(model), model.levers
            lever.coworking[self.where] = 1 - (1 - lever.coworking[self.where]) * (1 - served)
            lever.commute_days_off[np.ix_(self.rows, self.where)] += (
                self.options.days_replaced * served)

    def cost(self, model) -> np.ndarray:
        o = self.options
        return self.spend(model, self.split(model, o.seats, o.each) * o.cost_per_seat_per_year / 12)
