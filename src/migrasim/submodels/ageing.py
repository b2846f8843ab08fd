"""Ageing: the month ends for every household; reference persons age, workers retire.

Every household's spell in its territory and its reference person's age grow by a
month; a household whose reference person enters a new age class changes segment
(migrasim.ages). Workers past the retirement age retire at a yearly rate: they become
retirees (no job, no telework) with a pension replacing part of their income, so the
retiree profile is refilled as well as emptied. Household types left empty are dropped
at the end of each year.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from migrasim import ages
from migrasim.kernels import ageing, positions
from migrasim.kernels.decision import monthly
from migrasim.params import Params, Probability, Profile, number
from migrasim.submodels.base import Submodel

if TYPE_CHECKING:
    from migrasim.model import MigrationModel


class Retirement(Params):
    """Workers leaving work for retirement."""

    age: number(40, 100)             # years: from this age on, a worker may retire
    annual_rate: Probability         # of retiring each year past that age
    becomes: Profile
    income_ratio: number(0.0, 2.0)   # pension / income before retiring


class LifeParams(Params):
    """``model.life`` (configs/model/default.yaml)."""

    retirement: Retirement


class Ageing(Submodel):
    """Every household ages by a month; workers past the retirement age retire."""

    name = "ageing"
    title = "Ageing"
    section = "model.life"

    def init(self, model: MigrationModel) -> None:
        r = self.params.retirement
        self.retiree = model.profiles.index(r.becomes)
        self.life = ageing.Life(
            crossing=ageing.crossings([12 * b for b in ages.BOUNDS_YEARS]),
            is_worker=np.isin(model.profiles, model.config.model.workers),
            retire_age=int(round(12 * r.age)), retire_rate=float(monthly(r.annual_rate)))
        self.retired = np.empty(0, dtype=np.int64)  # this month's new retirees

    def step(self, model: MigrationModel) -> None:
        hh = model.households
        flags = ageing.age_month(model.seed, model.month, hh.arrays(), self.life)
        changed = positions.nonzero(flags)
        self.retired = changed[(flags[changed] & ageing.RETIRES) > 0]
        self.retire(model, self.retired)
        hh.update_segment(changed)
        model.types.update(changed, hh.home, hh.segment, hh.job)
        if (model.month + 1) % 12 == 0:
            model.types.compact(hh.alive)

    def retire(self, model: MigrationModel, who: np.ndarray) -> None:
        hh, stock = model.households, model.stock
        np.add.at(stock.by_profile, (hh.home[who], hh.profile[who]), -hh.weight[who])
        hh.profile[who] = self.retiree
        np.add.at(stock.by_profile, (hh.home[who], hh.profile[who]), hh.weight[who])
        hh.job[who] = -1
        hh.telework_days[who] = 0
        hh.income[who] *= self.params.retirement.income_ratio
        hh.update_budget(who, model.housing_factor)
