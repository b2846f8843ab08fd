"""Telework: how many days a week each household teleworks, period by period.

A scenario (``scenario.telework``) is a list of periods from a month on, each giving per
working profile the share of households that telework and their mean days a week. Who
teleworks is fixed by the household's own draws, so a rising share adds teleworkers
without reshuffling the others (common random numbers); days are recomputed only when
the period changes. When telework days fall, a worker who had moved beyond commuting
reach of the job (a telework move) and can no longer keep it takes a job at the pole of
the home (relocation's reach rule, applied at the change) instead of moving back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from migrasim import calendar
from migrasim.kernels import telework
from migrasim.params import Month, Params, Probability, number, per_profile
from migrasim.submodels.base import Submodel
from migrasim.submodels.relocation import commutes, out_of_reach

if TYPE_CHECKING:
    from migrasim.model import MigrationModel


class TeleworkPeriod(Params):
    """One period of a scenario's telework path."""

    from_: Month = Field(alias="from")
    share: per_profile(Probability, workers=True)        # households that telework
    days: per_profile(number(0.0, 5.0), workers=True)    # their mean days a week


@dataclass
class Period:
    start: int
    share: np.ndarray  # per profile
    days: np.ndarray   # per profile, mean days a week of teleworkers


class Telework(Submodel):
    """Telework days of every household follow the scenario's telework periods; a worker
    whose job falls out of reach when telework days fall takes a job near home."""

    name = "telework"
    title = "Telework"
    section = "scenario.telework"
    reads = ("choice", "relocation")

    def init(self, model: MigrationModel) -> None:
        profiles = model.profiles
        self.periods = [Period(calendar.parse(p.from_),
                               np.array([p.share.get(name, 0.0) for name in profiles]),
                               np.array([p.days.get(name, 0.0) for name in profiles]))
                        for p in self.params]
        self.period = self.period_at(model.month)
        self.apply(model, self.period)

    def period_at(self, month: int) -> Period:
        """The period in force in ``month`` (the first one before it starts)."""
        current = self.periods[0]
        for period in self.periods:
            if period.start <= month:
                current = period
        return current

    def days(self, model: MigrationModel, period: Period) -> np.ndarray:
        """Days a week each household teleworks under ``period``."""
        hh = model.households
        return telework.days(model.seed, hh.key, hh.profile, period.share, period.days)

    def apply(self, model: MigrationModel, period: Period) -> None:
        model.households.telework_days[:] = self.days(model, period)

    def step(self, model: MigrationModel) -> None:
        period = self.period_at(model.month)
        if period is not self.period:
            before = model.households.telework_days.copy()
            self.apply(model, period)
            self.period = period
            self.keep_jobs_in_reach(model, model.households.telework_days < before)

    def keep_jobs_in_reach(self, model: MigrationModel, fewer: np.ndarray) -> None:
        """Workers with ``fewer`` telework days whose job is now out of reach — the weekly
        commute too long by relocation's rule — take a job at their home's pole rather
        than keep a commute no one would keep."""
        hh = model.households
        w = np.flatnonzero(fewer & hh.alive & (hh.job >= 0)).astype(np.int64)
        limit = model.submodels.relocation.params.max_commute_min
        far = w[out_of_reach(*commutes(model, w), limit)]
        if far.size:
            hh.job[far] = model.territories.pole[hh.home[far]]
            model.types.update(far, hh.home, hh.segment, hh.job)
