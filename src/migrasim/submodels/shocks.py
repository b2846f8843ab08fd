"""Shocks: a scenario's temporary changes of move hazards and preferences.

A shock (``scenario.shocks``) multiplies the move hazard of some profiles by the class
of their home in the urban hierarchy (e.g. out of Paris and the métropoles during the
lockdowns) and scales some preference coefficients, from one month until another.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field, model_validator

from migrasim import calendar
from migrasim.params import Month, NonNegative, Params, Positive, Profile, keyed, ordered, per_class
from migrasim.submodels.base import Submodel
from migrasim.territories.classification import HIERARCHY

if TYPE_CHECKING:
    from migrasim.model import MigrationModel

PREFERENCES = ("amenities", "services")  # choice coefficients a shock may scale


class Shock(Params):
    from_: Month = Field(alias="from")
    until: Month                                       # last month, included
    move_multiplier: per_class(NonNegative) = {}       # hazard × by class of the home
    profiles: list[Profile] | None = None              # who reacts (default: everyone)
    preference: keyed(Positive, PREFERENCES, "the coefficients a shock may scale") = {}

    @model_validator(mode="after")
    def _dates(self) -> Shock:
        ordered(self.from_, self.until)
        return self


class Shocks(Submodel):
    """Scenario shocks in force this month: move-hazard multipliers by profile and class
    of the home, and preference multipliers."""

    name = "shocks"
    title = "Shocks"
    section = "scenario.shocks"

    def init(self, model: MigrationModel) -> None:
        profiles = model.profiles
        self.shocks = []
        for s in self.params:
            mult = np.ones((len(profiles), len(HIERARCHY)))
            who = [profiles.index(p) for p in (profiles if s.profiles is None else s.profiles)]
            for cls, m in s.move_multiplier.items():
                mult[who, HIERARCHY.index(cls)] = m
            self.shocks.append((calendar.parse(s.from_), calendar.parse(s.until), mult,
                                dict(s.preference)))
        self.move_multiplier = np.ones((len(profiles), len(HIERARCHY)))
        self.preference: dict[str, float] = {}

    def at(self, month: int) -> tuple[np.ndarray, dict[str, float]]:
        """Hazard multipliers (profiles × classes) and preference multipliers in ``month``."""
        mult = np.ones_like(self.move_multiplier)
        pref: dict[str, float] = {}
        for start, end, m, preference in self.shocks:
            if start <= month <= end:
                mult *= m
                for k, v in preference.items():
                    pref[k] = pref.get(k, 1.0) * v
        return mult, pref

    def step(self, model: MigrationModel) -> None:
        self.move_multiplier, self.preference = self.at(model.month)
