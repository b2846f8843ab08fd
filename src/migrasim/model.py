"""The model: a ``mesa.Model`` whose households are arrays and whose territories are agents.

A month is the schedule below, walked in order (``MigrationModel.schedule``; docs/odd.md
§3 prints it). Each entry is a submodel (``migrasim.submodels``) owning its parameters,
state and results; adding one is writing its class and inserting it here (or in the
``schedule`` given to one model).
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Iterable, Sequence

import mesa
import numpy as np

from migrasim import calendar
from migrasim.ages import N_AGES
from migrasim.config import Config, configure
from migrasim.observation import invariants
from migrasim.observation.records import Records
from migrasim.params import table_array
from migrasim.population import Households, TypeIndex, synthesize
from migrasim.submodels import (
    Ageing,
    Capacity,
    Construction,
    HousingMarket,
    LocationChoice,
    MoveDecision,
    Policies,
    Relocation,
    Schedule,
    Shocks,
    Submodel,
    Submodels,
    Telework,
    TerritoryConstants,
)
from migrasim.submodels.demography import Demography
from migrasim.submodels.economy import Economy
from migrasim.submodels.levers import Levers
from migrasim.territories import Territories, study_area, with_focus
from migrasim.territories.stock import HousingStock

SCHEDULE = (Economy, Policies, Telework, Shocks, MoveDecision, Demography, LocationChoice,
            Capacity, Relocation, HousingMarket, Construction, Records, Ageing)


class _AgentIds(weakref.WeakKeyDictionary):
    """Agent id counters by model, forgotten with the model. mesa 3.3's ``Agent._ids`` is
    a plain defaultdict keyed by model: it keeps every model that ever made an agent alive
    (≈ 170 MB a 1:1000 run; calibration workers running trial after trial were killed
    for memory)."""

    def __getitem__(self, model):
        try:
            return super().__getitem__(model)
        except KeyError:
            counter = self[model] = itertools.count(1)
            return counter


class Territory(mesa.Agent):
    """An EPCI, exposing its current state (read from the submodels' arrays)."""

    _ids = _AgentIds()

    def __init__(self, model: MigrationModel, index: int):
        super().__init__(model)
        self.index = index
        self.code = model.territories.codes[index]
        self.name = model.territories.df["name"].iat[index]

    @property
    def price_m2(self) -> float:
        return float(self.model.submodels.market.price[self.index])

    @property
    def rent_month(self) -> float:
        return float(self.model.submodels.market.rent[self.index])

    @property
    def households(self) -> float:
        """Households living here, in base units (1 / scale real ones)."""
        return float(self.model.stock.occupied[self.index])

    @property
    def vacancy(self) -> float:
        stock = self.model.stock
        return float(stock.vacant[self.index] / max(stock.dwellings[self.index], 1))


class MigrationModel(mesa.Model):
    """Households choosing among territories each month, with housing-price feedback.

    ``MigrationModel(scenario="remote50", scale=0.001, seed=1)`` composes the config like
    the command line (``rng=`` is Mesa's name for ``seed``, also accepted);
    ``overrides`` takes extra hydra-style overrides, ``config`` a config already made.
    ``area`` and ``constants`` reuse another run's study area and territory constants, so
    that a scenario and its comparison run share them (docs/odd.md §5). ``schedule``
    replaces the month's schedule (``SCHEDULE``): submodel classes (built from the
    config) or instances. A bad value raises :class:`~migrasim.ConfigError` here, before
    any work.
    """

    def __init__(self, scenario: str | None = None, *, seed: int | None = None,
                 scale: float | None = None, months: int | None = None,
                 overrides: Iterable[str] = (), config: Config | None = None,
                 rng: int | None = None, area: Territories | None = None,
                 constants: np.ndarray | None = None,
                 schedule: Sequence[type[Submodel] | Submodel] = SCHEDULE,
                 collect: bool = True):
        config = configure(config, scenario=scenario, seed=seed, rng=rng, scale=scale,
                           months=months, overrides=overrides)
        super().__init__(rng=config.seed)
        self.config = config
        self.start_month = self.month = calendar.parse(config.start)
        self.territories = (with_focus(area, config.territory) if area is not None
                            else study_area(config.territory))
        m = config.model
        self.households: Households = synthesize(self.territories, m.households,
                                                 self.profiles, m.workers, self.scale,
                                                 self.seed)
        hh = self.households
        # housing consumption by profile: budget = income / housing factor (every submodel
        # that changes an income or a profile recomputes budgets with it)
        self.housing_factor = table_array(m.households.housing_factor, self.profiles)
        self.types = TypeIndex(len(self.territories), len(self.profiles) * N_AGES, hh.home,
                               hh.segment, hh.job, self.territories.n_sites)
        self.stock = HousingStock.initial(self.territories, hh.home, hh.profile, hh.weight,
                                          len(self.profiles), self.scale)
        self.levers = Levers.neutral(len(self.profiles), len(self.territories))
        monthly = [s if isinstance(s, Submodel) else s.from_config(config) for s in schedule]
        self.submodels = Submodels((s.name, s) for s in monthly)
        self.submodels["constants"] = TerritoryConstants.from_config(config, values=constants)
        self.schedule = Schedule(monthly)
        self.schedule.check(others=[self.submodels.constants])
        for submodel in self.submodels.values():
            submodel.init(self)
        self.datacollector = mesa.DataCollector(model_reporters={
            "month": lambda mod: calendar.label(mod.month - 1),
            "movers": lambda mod: mod.last["movers"],
            "moved": lambda mod: mod.last["moved"],
            "mean_price_m2": lambda mod: float(np.average(
                mod.submodels.market.price, weights=mod.stock.occupied + 1)),
        }) if collect else None
        for i in range(len(self.territories)):
            Territory(self, i)
        self.running = True

    def step(self) -> None:
        """One month: every submodel of the schedule in turn, then the runtime invariants
        (observation/invariants.py; ``InvariantError`` names the first one broken)."""
        if not self.running:
            raise RuntimeError(f"the run has ended after its {self.months} months")
        for submodel in self.schedule:
            submodel.step(self)
        invariants.check(self)
        self.month += 1
        if self.datacollector is not None:
            self.datacollector.collect(self)
        if self.month >= self.start_month + self.months:
            self.running = False
            for submodel in self.submodels.values():
                submodel.finalize(self)

    def __repr__(self) -> str:
        return (f"MigrationModel({self.config.scenario.name!r}, seed {self.seed}, scale "
                f"{self.scale:g}, month {calendar.label(self.month)}, "
                f"{len(self.households):,} households, {len(self.territories):,} EPCI)")

    @property
    def seed(self) -> int:
        return self.config.seed

    @property
    def scale(self) -> float:
        """Simulated households per real household."""
        return self.config.scale

    @property
    def months(self) -> int:
        """Months the run lasts."""
        return self.config.months

    @property
    def profiles(self) -> list[str]:
        return self.config.model.profiles

    @property
    def last(self) -> dict[str, int]:
        """Households that considered moving and that moved in the last month."""
        return {"movers": int(self.submodels.decision.movers.size),
                "moved": int(self.submodels.capacity.moved.sum())}
