"""Move decision: who considers moving this month, and why.

Monthly hazard by profile (annual rate p → 1 − (1 − p)^(1/12)), scaled by tenure, by
the housing-cost burden above a reference, by the scenario's shocks (by class of the
home) and by any policy's newcomer-retention lever. Two forced reasons come first:
displacement of renters of the displaceable profiles whose rent burden crossed a
threshold, and the failure of a young project of the fragile profiles in the classes
where it can fail (a return move toward an urban pole). The same pass sums the hazards
by household type for the market's expected demand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from migrasim.kernels import decision
from migrasim.params import (
    HierarchyClass,
    Params,
    Positive,
    Probability,
    Profile,
    number,
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


class MoveParams(Params):
    """``model.move`` (configs/model/default.yaml)."""

    annual_rate: per_profile(Probability)
    tenure_factor: TenureFactor
    burden_ref: Probability
    burden_slope: number(0.0, 100.0)
    displacement: Displacement
    project_failure: ProjectFailure


class MoveDecision(Submodel):
    """Each household decides whether to move this month, and why: displacement, a
    failed project, or the ordinary hazard."""

    name = "decision"
    title = "Move decision"
    section = "model.move"
    after = ("shocks",)
    reads = ("market",)

    def init(self, model: MigrationModel) -> None:
        p, profiles = self.params, model.profiles
        failure = p.project_failure
        self.hazards = decision.Hazards(
            monthly_rate=decision.monthly(table_array(p.annual_rate, profiles)),
            tenure_factor=np.array([p.tenure_factor.owner, p.tenure_factor.renter]),
            burden_ref=p.burden_ref, burden_slope=p.burden_slope,
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

    def decide(self, model: MigrationModel, month: int,
               shock: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Reason code per household for ``month`` and the hazard sums by household type;
        ``shock`` multiplies hazards by (profile, class of the home)."""
        if shock is None:
            shock = np.ones((len(model.profiles), len(HIERARCHY)))
        where = decision.Conditions(model.submodels.market.rent,
                                    model.territories.hierarchy_index, shock,
                                    model.levers.newcomer_hazard)
        return decision.decide(model.seed, month, model.households.arrays(), where,
                               self.hazards, model.types.id, len(model.types),
                               TYPE_CHUNKS)

    def step(self, model: MigrationModel) -> None:
        reason, self.type_sums = self.decide(model, model.month,
                                             model.submodels.shocks.move_multiplier)
        self.movers = np.flatnonzero(reason).astype(np.int64)
        self.why = reason[self.movers]
        self.origin = model.households.home[self.movers]
