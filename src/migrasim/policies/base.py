"""A policy: a plug-in with a small lifecycle that acts only through the model's levers.

``start(model)`` once (choose its territories), ``step(model)`` each month before
households decide, ``stop(model)`` after the last month. The levers
(``model.levers``, submodels/levers.py) are reset every month, then each active policy
writes into them:

* ``utility[p, j]``: added to the utility of territory j for profile p;
* ``newcomer_hazard[j]``: multiplies the move and failure hazards of newcomers (arrived
  less than three years ago) living in j;
* ``construction_cap[j]``: most new dwellings a month in j (simulated units).

Options are declared as a :class:`Params` model (``Options``) and checked when the
scenario is loaded; every policy takes the targeting options of :class:`Targets`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, ClassVar

import numpy as np
from pydantic import Field, ValidationError, model_validator

from migrasim import calendar
from migrasim.errors import ConfigError
from migrasim.params import Month, Params, config_error, one_of, ordered
from migrasim.territories import Territories
from migrasim.territories.classification import KINDS

if TYPE_CHECKING:
    from migrasim.model import MigrationModel


class Targets(Params):
    """Where and when a policy acts: territories matching every given criterion."""

    territories: list[str] | None = None  # EPCI codes (SIREN)
    group: str | None = None              # a named group of territory.groups
    kind: one_of(KINDS, "one of the EPCI kinds") | None = None
    from_: Month | None = Field(None, alias="from")  # first month (default: the start)
    until: Month | None = None                       # last month (default: the end)

    @model_validator(mode="after")
    def _dates(self) -> Targets:
        ordered(self.from_, self.until)
        return self


class Policy:
    """Base class: select territories at start, act while active."""

    Options: ClassVar[type[Targets]] = Targets

    def __init__(self, **options):
        try:
            self.options = self.Options.model_validate(options)
        except ValidationError as err:  # a direct call; configs are checked when loaded
            raise config_error(err, self.Options, f"policies.{type(self).__name__}") from None
        o = self.options
        self.first = calendar.parse(o.from_) if o.from_ else -1
        self.last = calendar.parse(o.until) if o.until else 10**9
        self.where = np.array([], dtype=np.int64)
        self.key = f"policies.{type(self).__name__}"  # how errors name it (see make_policies)

    def select(self, territories: Territories) -> np.ndarray:
        """Positions of the targeted territories in the study area."""
        o, key = self.options, self.key
        try:
            where = territories.select(codes=o.territories, group=o.group, kind=o.kind)
        except KeyError as err:
            raise ConfigError(f"{key}.territories", o.territories,
                              f"EPCI codes of the study area ({err.args[0]})") from None
        if where.size == 0:
            target = {k: v for k, v in (("territories", o.territories), ("group", o.group),
                                        ("kind", o.kind)) if v is not None}
            raise ConfigError(key, target, "targets with at least one territory in the "
                              "study area (see territory.departements)")
        return where

    def start(self, model: MigrationModel) -> None:
        self.where = self.select(model.territories)

    def active(self, model: MigrationModel) -> bool:
        return self.first <= model.month <= self.last

    def step(self, model: MigrationModel) -> None:
        """Called each month before households decide."""

    def stop(self, model: MigrationModel) -> None:
        """Called once after the last month."""


def policy_class(target: str) -> type[Policy]:
    """The policy class a scenario names by its dotted path (``_target_``)."""
    module, _, name = str(target).rpartition(".")
    try:
        cls = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError):
        cls = None
    if not (isinstance(cls, type) and issubclass(cls, Policy)):
        raise ConfigError("_target_", target, "the dotted path of a migrasim.policies.Policy "
                          "subclass, e.g. migrasim.policies.AccueilMission")
    return cls
