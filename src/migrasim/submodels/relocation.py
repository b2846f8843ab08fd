"""Relocation: served movers move in, and their job and profile follow the move.

A household that moves elsewhere starts a new spell (months since arrival = 0) and
remembers where it came from. A failed project ends: the household takes the profile
its project failure says it becomes. A worker now beyond commuting range of the job
(and not teleworking full time) takes a job at the nearest pole of the new home;
households of the profiles that work where they live (a neo-rural's new activity) work
in their new territory.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from migrasim.kernels.decision import DISPLACED, RETURN
from migrasim.params import Params, Positive, Profile, table_array
from migrasim.submodels.base import Result, Submodel

if TYPE_CHECKING:
    from migrasim.model import MigrationModel


class RelocationParams(Params):
    """``model.relocation`` (configs/model/default.yaml)."""

    max_commute_min: Positive         # one-way minutes beyond which a mover changes job
    work_where_they_live: list[Profile]  # profiles whose job moves with them


class Relocation(Submodel):
    """Served movers move in; a job beyond commuting range changes, a failed project
    ends."""

    name = "relocation"
    title = "Relocation"
    section = "model.relocation"
    after = ("decision", "choice", "capacity")
    results = (
        Result("arrivals", "households", "households that moved in from another EPCI"),
        Result("departures", "households", "households that moved out to another EPCI"),
        Result("internal_moves", "households", "households that moved within the EPCI"),
        Result("displaced", "households",
               "households priced out of their home here who moved (within or out)"))

    def init(self, model: MigrationModel) -> None:
        profiles = model.profiles
        self.becomes = profiles.index(
            model.submodels.decision.params.project_failure.becomes)
        self.local = np.isin(profiles, self.params.work_where_they_live)
        self.housing_factor = table_array(model.config.model.households.housing_factor,
                                          profiles)
        self.profile = np.empty(0, dtype=np.int8)  # this month's movers, before moving

    def step(self, model: MigrationModel) -> None:
        decision, hh, stock = model.submodels.decision, model.households, model.stock
        moved = model.submodels.capacity.moved
        self.profile = hh.profile[decision.movers]
        who, origin = decision.movers[moved], decision.origin[moved]
        dest, why = model.submodels.choice.chosen[moved], decision.why[moved]
        elsewhere = dest != origin
        hh.origin[who[elsewhere]] = origin[elsewhere]
        hh.months_since_arrival[who[elsewhere]] = 0
        hh.home[who] = dest
        np.add.at(stock.occupied, origin, -1)
        np.add.at(stock.occupied, dest, 1)
        np.add.at(stock.by_profile, (origin, hh.profile[who]), -1)
        failed = who[why == RETURN]
        hh.profile[failed] = self.becomes
        hh.update_budget(failed, self.housing_factor)
        np.add.at(stock.by_profile, (dest, hh.profile[who]), 1)
        w = who[hh.job[who] >= 0]
        far = (model.submodels.choice.commute_min[hh.home[w], hh.job[w]]
               > self.params.max_commute_min)
        far &= hh.telework_days[w] < 5
        hh.job[w[far]] = model.territories.pole[hh.home[w[far]]]
        local = who[self.local[hh.profile[who]] & elsewhere]
        hh.job[local] = hh.home[local]
        model.types.update(who, hh.home, hh.profile, hh.job)

    def record(self, model: MigrationModel) -> dict[str, np.ndarray]:
        n, decision = len(model.territories), model.submodels.decision
        moved, origin = model.submodels.capacity.moved, decision.origin
        dest = model.submodels.choice.chosen
        out = moved & (dest != origin)
        return {"arrivals": np.bincount(dest[out], minlength=n),
                "departures": np.bincount(origin[out], minlength=n),
                "internal_moves": np.bincount(origin[moved & (dest == origin)], minlength=n),
                "displaced": np.bincount(origin[moved & (decision.why == DISPLACED)],
                                         minlength=n)}

    def flows(self, model: MigrationModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Origin, destination and profile (before the move) of this month's moves."""
        moved = model.submodels.capacity.moved
        return (model.submodels.decision.origin[moved], model.submodels.choice.chosen[moved],
                self.profile[moved])
