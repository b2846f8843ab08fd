"""Move decision: who considers moving this month, and why.

Monthly hazard of a housing or family move by age class of the reference person and
profile (annual rate p → 1 − (1 − p)^(1/12)), scaled by tenure, by
the housing-cost burden above a reference, by the scenario's shocks (by class of the
home) and by any policy's newcomer-retention lever. Two forced reasons come first:
displacement of renters of the displaceable profiles whose rent burden crossed a
threshold (× any policy's displacement lever), and the failure of a young project of
the fragile profiles in the classes where it can fail (a return move toward an urban
pole). Workers change jobs beyond commuting reach at a rate by age class: the new job is
drawn among the employment poles out of reach (gravity), and the household moves,
choosing its home around the new job.
The same pass sums the ordinary hazards by household type for the market's expected
demand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from migrasim.ages import AGE_CLASSES
from migrasim.kernels import decision, jobs, positions
from migrasim.params import (
    HierarchyClass,
    Params,
    Positive,
    Probability,
    Profile,
    number,
    per_age,
    per_profile,
    table_array,
)
from migrasim.submodels.base import Submodel
from migrasim.territories.classification import HIERARCHY

if TYPE_CHECKING:
    from migrasim.model import MigrationModel

TYPE_CHUNKS = 8  # fixed split of the per-household pass (type sums are chunk-local)


class TenureFactor(Params):
    owner: Positive
    renter: Positive


class Displacement(Params):
    """Renters priced out of their home."""

    profiles: list[Profile]         # whose renters can be displaced
    threshold: number(0.0, 5.0)     # rent burden above which they are at risk
    rate: Probability               # monthly probability of displacement when at risk


class ProjectFailure(Params):
    """Life projects that fail young, and the return move they cause."""

    profiles: list[Profile]          # whose projects can fail
    classes: list[HierarchyClass]    # urban-hierarchy classes where they can fail
    annual_rate: Probability
    months: number(0, 1200, integer=True)  # a project can fail while this young
    becomes: Profile                 # the profile of the household after the failure


class JobChange(Params):
    """Workers whose job changes beyond commuting reach of their home."""

    annual_rate: per_age(Probability)   # by age class of the reference person
    distance_decay: number(0.0, 20.0)   # new job ∝ size · (1 + km / 10)^−decay


class MoveParams(Params):
    """``model.move`` (configs/model/default.yaml)."""

    annual_rate: per_age(Probability)      # housing or family moves, by age class
    profile_factor: per_profile(Positive)  # × the rate of the age class
    job_change: JobChange
    tenure_factor: TenureFactor
    burden_ref: Probability
    burden_slope: number(0.0, 100.0)
    telework_factor: number(0.0, 100.0)   # hazard × (1 + factor × telework share of week)
    displacement: Displacement
    project_failure: ProjectFailure


class MoveDecision(Submodel):
    """Each household decides whether to move this month, and why: displacement, a
    failed project, or the ordinary hazard."""

    name = "decision"
    title = "Move decision"
    section = "model.move"
    after = ("shocks",)
    reads = ("market", "choice", "relocation")

    def init(self, model: MigrationModel) -> None:
        p, profiles = self.params, model.profiles
        failure = p.project_failure
        rate = (table_array(p.profile_factor, profiles)[:, None]
                * np.array([p.annual_rate[a] for a in AGE_CLASSES])[None, :])
        self.hazards = decision.Hazards(
            monthly_rate=decision.monthly(np.minimum(rate, 0.99).reshape(-1)),
            job_rate=decision.monthly([p.job_change.annual_rate[a] for a in AGE_CLASSES]),
            n_ages=len(AGE_CLASSES),
            tenure_factor=np.array([p.tenure_factor.owner, p.tenure_factor.renter]),
            burden_ref=p.burden_ref, burden_slope=p.burden_slope,
            telework_factor=p.telework_factor,
            displaceable=decision.bits(profiles.index(q) for q in p.displacement.profiles),
            displacement_threshold=p.displacement.threshold,
            displacement_rate=p.displacement.rate,
            fragile=decision.bits(profiles.index(q) for q in failure.profiles),
            failure_classes=decision.bits(HIERARCHY.index(c) for c in failure.classes),
            failure_rate=float(decision.monthly(failure.annual_rate)),
            project_months=failure.months)
        self.movers = np.empty(0, dtype=np.int64)  # households moving this month
        self.why = np.empty(0, dtype=np.int8)      # their reason (kernels.decision codes)
        self.origin = np.empty(0, dtype=np.int32)  # their home when deciding
        self.type_sums = np.zeros((3, 0))          # hazard sums by household type
        empty = np.empty(0, dtype=np.int64)
        self.old_jobs = (empty, empty)             # job changers and their former jobs
        t = model.territories
        # employment poles: the territories' nearest poles, then those across the border,
        # weighing as many dwellings as the study area's commuters to them would occupy
        self.poles = np.concatenate([np.unique(t.pole), len(t) + np.arange(len(t.border_poles))
                                     ]).astype(np.int64)
        rate = model.config.territory.priors.cross_border.employment_rate
        commuters = (t.array("population") * rate) @ t.border
        per_worker = t.array("dwellings").sum() / max(t.array("population").sum() * rate, 1.0)
        self.border_mass = commuters * per_worker * model.scale

    def decide(self, model: MigrationModel, month: int,
               shock: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Reason code per household for ``month`` and the hazard sums by household type;
        ``shock`` multiplies hazards by (profile, class of the home)."""
        if shock is None:
            shock = np.ones((len(model.profiles), len(HIERARCHY)))
        levers = model.levers
        where = decision.Conditions(model.submodels.market.rent,
                                    model.territories.hierarchy_index, shock,
                                    levers.newcomer_hazard, levers.displacement_hazard)
        return decision.decide(model.seed, month, model.households.arrays(), where,
                               self.hazards, model.types.id, len(model.types),
                               TYPE_CHUNKS)

    def step(self, model: MigrationModel) -> None:
        reason, self.type_sums = self.decide(model, model.month,
                                             model.submodels.shocks.move_multiplier)
        movers = positions.nonzero(reason)
        why = reason[movers]
        self.change_jobs(model, model.month, movers, why)
        stay = why == decision.STAY  # job changers whose new job needs no move
        self.movers, self.why = movers[~stay], why[~stay]
        self.origin = model.households.home[self.movers]

    def change_jobs(self, model: MigrationModel, month: int, movers: np.ndarray,
                    why: np.ndarray) -> None:
        """New jobs of this month's job changers among ``movers`` (reasons ``why``);
        those whose every pole is within reach (full-time teleworkers) need not move:
        their reason becomes STAY, their job kept as it is (where a teleworker works
        changes nothing in the model)."""
        hh = model.households
        at = np.flatnonzero(why == decision.JOB_CHANGE)
        who = movers[at]
        self.old_jobs = (who[:0], hh.job[who[:0]])
        if who.size == 0:
            return
        poles, choice, n = self.poles, model.submodels.choice, len(model.territories)
        mass = np.concatenate([model.stock.dwellings[poles[poles < n]], self.border_mass])
        levers = model.levers
        site_commute = (np.ascontiguousarray(choice.minutes(model).T)
                        if levers.acting("pole_commute") else choice.site_commute)
        days_off = (hh.telework_days + levers.commute_days_off[hh.profile, hh.home]
                    if levers.acting("commute_days_off") else hh.telework_days)
        labour = jobs.Labour(poles, np.log(np.maximum(mass, 1.0)), choice.site_log_dist,
                             site_commute,
                             float(model.submodels.relocation.params.max_commute_min),
                             float(self.params.job_change.distance_decay))
        new = jobs.new_jobs(model.seed, month, who, hh.key, hh.home, days_off, labour)
        why[at[new < 0]] = decision.STAY
        changing = who[new >= 0]
        self.old_jobs = (changing, hh.job[changing].copy())  # restored if the move fails
        hh.job[changing] = new[new >= 0]
        model.types.update(changing, hh.home, hh.segment, hh.job)
