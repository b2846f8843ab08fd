"""Relocation: served movers move in, and their job and profile follow the move.

A household that moves elsewhere starts a new spell (months since arrival = 0) and
remembers where it came from. A failed project ends: the household takes the profile
its project failure says it becomes. A worker now beyond commuting range of the job —
one-way minutes × the commuting share of the week (telework days off) above the
maximum — takes a job at the nearest pole of the new home; one who keeps such a job
only thanks to telework made a *telework move* (reason TELEWORK). Households of the
profiles that work where they live (a neo-rural's new activity) work in their new
territory. Workers of the profiles that can turn neo-rural who leave an urban class for
a small rural one start a rural project with a probability (they become neo-rurals:
households enter the profile as well as leave it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from migrasim import rng
from migrasim.ages import age_class
from migrasim.kernels.decision import (
    ABROAD,
    DISPLACED,
    FORMATION,
    JOB_CHANGE,
    ORDINARY,
    RETURN,
    TELEWORK,
)
from migrasim.params import (
    HierarchyClass,
    Params,
    Positive,
    Probability,
    Profile,
    number,
)
from migrasim.submodels.base import Result, Submodel
from migrasim.territories.classification import HIERARCHY, URBAN

if TYPE_CHECKING:
    from migrasim.model import MigrationModel


def out_of_reach(minutes: np.ndarray, days_off: np.ndarray, limit: float) -> np.ndarray:
    """Whether a job ``minutes`` away one way is beyond commuting reach for households
    that do not commute ``days_off`` days a week (telework, and days off a policy gives):
    minutes × commuting share of the week above ``limit`` (the jobs kernel applies the
    same rule to new jobs)."""
    return minutes * np.maximum(5 - days_off, 0) / 5.0 > limit


def commutes(model: MigrationModel, who: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One-way minutes from home to job of workers ``who`` this month, and the days a week
    they do not commute: telework days, plus the days off commuting a policy gives where
    they live (the levers of the transport and coworking policies)."""
    hh = model.households
    home = hh.home[who]
    minutes = model.submodels.choice.minutes(model)[home, hh.job[who]]
    return minutes, hh.telework_days[who] + model.levers.commute_days_off[hh.profile[who], home]


class NewProject(Params):
    """Workers who leave the city for a rural project (they become neo-rurals)."""

    profiles: list[Profile]            # who can start one
    classes: list[HierarchyClass]      # destination classes of a rural project
    probability: Probability           # of a move from an urban class to one of them
    max_age: number(18, 120)           # years: reference persons younger than this
    becomes: Profile


class RelocationParams(Params):
    """``model.relocation`` (configs/model/default.yaml)."""

    max_commute_min: Positive         # one-way minutes beyond which a mover changes job
    work_where_they_live: list[Profile]  # profiles whose job moves with them
    new_project: NewProject


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
        self.profile = np.empty(0, dtype=np.int8)  # this month's movers, before moving
        self.age = np.empty(0, dtype=np.int16)      # their age in months, at the move
        project = self.params.new_project
        self.starters = np.isin(profiles, project.profiles)
        self.project_to = np.isin(HIERARCHY, project.classes)
        self.urban = np.isin(HIERARCHY, URBAN)
        self.neo_rural = profiles.index(project.becomes)

    def step(self, model: MigrationModel) -> None:
        decision, hh, stock = model.submodels.decision, model.households, model.stock
        moved = model.submodels.capacity.moved
        self.profile = hh.profile[decision.movers]
        self.age = hh.age[decision.movers]
        who, origin = decision.movers[moved], decision.origin[moved]
        dest, why = model.submodels.choice.chosen[moved], decision.why[moved]
        new = why >= FORMATION  # new households: no dwelling to leave
        elsewhere = dest != origin
        hh.alive[who[new]] = True
        hh.origin[who[elsewhere & ~new]] = origin[elsewhere & ~new]
        hh.origin[who[new]] = np.where(why[new] == FORMATION, origin[new], -1)
        hh.months_since_arrival[who[elsewhere | new]] = 0
        hh.home[who] = dest
        weight = hh.weight[who]
        np.add.at(stock.occupied, origin[~new], -weight[~new])
        np.add.at(stock.occupied, dest, weight)
        np.add.at(stock.by_profile, (origin[~new], hh.profile[who[~new]]), -weight[~new])
        failed = who[why == RETURN]
        hh.profile[failed] = self.becomes
        starting = who[self.starts_project(model, who, origin, dest, why)]
        hh.profile[starting] = self.neo_rural
        changed = np.concatenate([failed, starting])
        hh.update_budget(changed, model.housing_factor)
        hh.update_segment(changed)
        np.add.at(stock.by_profile, (dest, hh.profile[who]), weight)
        has_job = hh.job[who] >= 0
        w = who[has_job]
        minutes, days_off = commutes(model, w)
        limit = self.params.max_commute_min
        far = out_of_reach(minutes, days_off, limit)
        hh.job[w[far]] = model.territories.pole[hh.home[w[far]]]
        kept = np.zeros(who.size, dtype=bool)  # ordinary moves kept in reach by telework
        kept[has_job] = ~far & (minutes > limit)
        moved_at = np.flatnonzero(moved)
        kept &= ~self.local[hh.profile[who]]  # their job moves with them (below)
        decision.why[moved_at[kept & (why == ORDINARY) & elsewhere]] = TELEWORK
        local = who[self.local[hh.profile[who]] & elsewhere]
        hh.job[local] = hh.home[local]
        # a job changer who found no home near the new job keeps the former job
        changers, former = decision.old_jobs
        stayed = ~np.isin(changers, who, kind="table")  # a table over ids: no sort
        hh.job[changers[stayed]] = former[stayed]
        model.types.update(np.concatenate([who, changers[stayed]]), hh.home, hh.segment,
                           hh.job)

    def starts_project(self, model: MigrationModel, who: np.ndarray, origin: np.ndarray,
                       dest: np.ndarray, why: np.ndarray) -> np.ndarray:
        """Which of the served movers ``who`` start a rural project with their move."""
        hh, hier = model.households, model.territories.hierarchy_index
        project = self.params.new_project
        can = (self.starters[hh.profile[who]] & self.urban[hier[origin]]
               & self.project_to[hier[dest]] & (hh.age[who] < 12 * project.max_age)
               & ((why == ORDINARY) | (why == JOB_CHANGE)))
        u = rng.uniforms(model.seed, hh.key[who], model.month, rng.NEO_RURAL)
        return can & (u < project.probability)

    def record(self, model: MigrationModel) -> dict[str, np.ndarray]:
        n, decision = len(model.territories), model.submodels.decision
        moved = model.submodels.capacity.moved & (decision.why != ABROAD)
        origin = decision.origin
        dest = model.submodels.choice.chosen
        weight = model.households.weight[decision.movers]
        out = moved & (dest != origin)

        def count(where: np.ndarray, which: np.ndarray) -> np.ndarray:
            return np.bincount(where[which], weights=weight[which], minlength=n)

        return {"arrivals": count(dest, out), "departures": count(origin, out),
                "internal_moves": count(origin, moved & (dest == origin)),
                "displaced": count(origin, moved & (decision.why == DISPLACED))}

    def flows(self, model: MigrationModel) -> tuple[np.ndarray, ...]:
        """Origin, destination, profile and age class (before the move), reason and weight
        of this month's moves."""
        decision = model.submodels.decision
        moved = model.submodels.capacity.moved & (decision.why != ABROAD)
        return (decision.origin[moved], model.submodels.choice.chosen[moved],
                self.profile[moved], age_class(self.age[moved]), decision.why[moved],
                model.households.weight[decision.movers[moved]])
