"""Policies: plug-ins act on the model only through levers, reset every month.

The core knows no specific policy: a policy (``migrasim.policies``) writes into the
levers below, and the submodels read them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from migrasim.policies import Policy, policy_class
from migrasim.submodels.base import Submodel

if TYPE_CHECKING:
    from migrasim.model import MigrationModel


@dataclass
class Levers:
    """What policies may change this month; neutral values when no policy acts."""

    utility: np.ndarray          # (profiles, territories): added to the utility of j for p
    newcomer_hazard: np.ndarray  # (territories,): × move and failure hazards of newcomers
    construction_cap: np.ndarray  # (territories,): most new dwellings a month (simulated)

    @classmethod
    def neutral(cls, n_profiles: int, n_territories: int) -> Levers:
        return cls(np.zeros((n_profiles, n_territories)), np.ones(n_territories),
                   np.full(n_territories, np.inf))

    def reset(self) -> None:
        self.utility.fill(0.0)
        self.newcomer_hazard.fill(1.0)
        self.construction_cap.fill(np.inf)


class Policies(Submodel):
    """Policies set their levers: utility bonuses, newcomer-retention multipliers,
    construction caps."""

    name = "policies"
    title = "Policies"
    section = "scenario.policies"

    def init(self, model: MigrationModel) -> None:
        self.policies = make_policies(self.params)
        for policy in self.policies:
            policy.start(model)

    def step(self, model: MigrationModel) -> None:
        model.levers.reset()
        for policy in self.policies:
            policy.step(model)

    def finalize(self, model: MigrationModel) -> None:
        for policy in self.policies:
            policy.stop(model)


def make_policies(specs: Iterable[Mapping]) -> list[Policy]:
    """The policies a scenario lists (``_target_`` and options each), named in errors by
    their place in ``scenario.policies``."""
    policies = []
    for i, spec in enumerate(specs):
        policy = policy_class(spec["_target_"])(
            **{k: v for k, v in spec.items() if k != "_target_"})
        policy.key = f"scenario.policies[{i}]"
        policies.append(policy)
    return policies
