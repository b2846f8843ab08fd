"""Policies: plug-ins act on the model only through levers, reset every month.

The core knows no specific policy: a policy (``migrasim.policies``) writes into the
levers below, and the submodels read them. Each policy also says what it costs each
month (real euros per territory): the submodel sums them into the ``policy_cost_eur``
result and keeps the breakdown by policy (``costs``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from migrasim import calendar
from migrasim.policies import Policy, policy_class
from migrasim.submodels.base import Result, Submodel

if TYPE_CHECKING:
    from migrasim.model import MigrationModel


COST_COLUMNS = {"month": str, "epci": str, "policy": str, "sheet": str, "cost_eur": float}


def _lever(neutral: float, by_profile: bool = False):
    return field(metadata={"neutral": neutral, "by_profile": by_profile})


@dataclass
class Levers:
    """What policies may change this month; neutral values when no policy acts. Shapes:
    (profiles, territories) or (territories,)."""

    utility: np.ndarray = _lever(0.0, True)         # added to the utility of j for p
    newcomer_hazard: np.ndarray = _lever(1.0, True)  # × move and failure hazards of
    #                                                   newcomers of profile p living in j
    construction_cap: np.ndarray = _lever(np.inf)   # most new dwellings a month (simulated)
    broadband: np.ndarray = _lever(0.0)   # floor of the broadband score of j
    coworking: np.ndarray = _lever(0.0)   # share of households a coworking seat serves:
    #                                       coworking score of j → 1 − (1 − score)(1 − lever)
    commute_days_off: np.ndarray = _lever(0.0, True)  # days a week households of p living
    #                                                    in j do not commute (mean)
    pole_commute: np.ndarray = _lever(1.0)  # × one-way minutes from homes in j to j's pole
    remobilised_vacant: np.ndarray = _lever(0.0)     # long-term vacant dwellings back on
    remobilised_secondary: np.ndarray = _lever(0.0)  # the market, second homes likewise:
    #                                                  simulated dwellings this month
    displacement_hazard: np.ndarray = _lever(1.0, True)  # × displacement hazard of renters
    #                                                      of profile p living in j

    @classmethod
    def neutral(cls, n_profiles: int, n_territories: int) -> Levers:
        return cls(**{f.name: np.full((n_profiles, n_territories) if f.metadata["by_profile"]
                                      else n_territories, f.metadata["neutral"])
                      for f in fields(cls)})

    def reset(self) -> None:
        for f in fields(self):
            getattr(self, f.name).fill(f.metadata["neutral"])

    def acting(self, name: str) -> bool:
        """Whether lever ``name`` differs from its neutral value anywhere (submodels skip
        the work of a neutral lever, so that no policy gives the results of no lever)."""
        neutral = next(f.metadata["neutral"] for f in fields(self) if f.name == name)
        return bool((getattr(self, name) != neutral).any())


class Policies(Submodel):
    """Policies set their levers (utility, retention, construction, broadband, coworking,
    commutes, housing supply, displacement) and say what they cost."""

    name = "policies"
    title = "Policies"
    section = "scenario.policies"
    results = (Result("policy_cost_eur", "€",
                      "euros the policies spent here this month (real, not scaled)"),)

    def init(self, model: MigrationModel) -> None:
        self.policies = make_policies(self.params)
        for policy in self.policies:
            policy.start(model)
        self.spent = np.zeros(len(model.territories))  # this month, all policies
        self._rows: list[tuple[int, int, np.ndarray]] = []  # month, policy, cost on targets
        self.codes = model.territories.codes

    def step(self, model: MigrationModel) -> None:
        model.levers.reset()
        for policy in self.policies:
            policy.step(model)
        self.spent = np.zeros(len(model.territories))
        for i, policy in enumerate(self.policies):
            cost = policy.cost(model)
            self.spent += cost
            self._rows.append((model.month, i, cost[policy.where]))

    def record(self, model: MigrationModel) -> dict[str, np.ndarray]:
        return {"policy_cost_eur": self.spent}

    def finalize(self, model: MigrationModel) -> None:
        for policy in self.policies:
            policy.stop(model)

    @property
    def costs(self) -> pd.DataFrame:
        """Month × targeted EPCI × policy: euros spent (``cost_eur``, real), with the
        policy's place and class (``policy``: "0:AccueilMission") and its OPTER sheet."""
        frames = [pd.DataFrame({
            "month": calendar.label(month), "epci": self.codes[self.policies[i].where],
            "policy": f"{i}:{type(self.policies[i]).__name__}",
            "sheet": self.policies[i].sheet, "cost_eur": cost})
            for month, i, cost in self._rows]
        if not frames:
            return pd.DataFrame({k: pd.Series(dtype=t) for k, t in COST_COLUMNS.items()})
        return pd.concat(frames, ignore_index=True)


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
