"""A policy: a plug-in with a small lifecycle that acts only through the model's levers.

``start(model)`` once (choose its territories), ``step(model)`` each month before
households decide, ``stop(model)`` after the last month. The levers
(``model.levers``, submodels/levers.py, with their neutral values) are reset every
month, then each active policy writes into them: utility terms, newcomers' and
displacement hazards, construction caps, broadband and coworking scores, days off
commuting, commute times to the pole, dwellings back on the market.

``cost(model)`` is this month's cost in real euros per territory (zero while inactive),
and ``sheet`` the issue sheet of the OPTER guide the policy belongs to. Options are
declared as a :class:`Params` model (``Options``) and checked when the scenario is
loaded; every policy takes the targeting options of :class:`Targets`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, ClassVar

import numpy as np
from pydantic import Field, ValidationError, model_validator

from migrasim import calendar
from migrasim.errors import ConfigError
from migrasim.params import Departements, Month, Params, config_error, one_of, ordered
from migrasim.territories import Territories
from migrasim.territories.classification import KINDS

if TYPE_CHECKING:
    from migrasim.model import MigrationModel


# Issue sheets of the OPTER guide ("La boussole du télétravail", ANPP – Territoires de
# projet): Financement, Mobilités and Numérique are named in the webinar that presented
# it (docs/policies.md); the others are this project's names for the remaining themes.
SHEETS = ("Accueil", "Financement", "Foncier", "Habitat", "Mobilités", "Numérique",
          "Tiers-lieux")


class Targets(Params):
    """Where and when a policy acts: territories matching every given criterion."""

    territories: list[str] | None = None  # EPCI codes (SIREN)
    departements: Departements = None  # codes of départements (INSEE)
    group: str | None = None              # a named group of territory.groups
    kind: one_of(KINDS, "one of the EPCI kinds") | None = None
    from_: Month | None = Field(None, alias="from")  # first month (default: the start)
    until: Month | None = None                       # last month (default: the end)

    @model_validator(mode="after")
    def _dates(self) -> Targets:
        ordered(self.from_, self.until)
        return self


class Policy:
    """Base class: select territories at start, act and spend while active."""

    Options: ClassVar[type[Targets]] = Targets
    sheet: ClassVar[str]  # its OPTER issue sheet, one of SHEETS

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if getattr(cls, "sheet", None) not in SHEETS:
            raise TypeError(f"{cls.__name__}.sheet: {getattr(cls, 'sheet', None)!r}; a policy "
                            f"belongs to one of the OPTER sheets {list(SHEETS)}")

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
        known = set(territories.df["departement"])
        for i, code in enumerate(o.departements or ()):
            if code not in known:
                raise ConfigError(f"{key}.departements[{i}]", code,
                                  f"départements of the study area {sorted(known)}")
        try:
            where = territories.select(codes=o.territories, group=o.group, kind=o.kind,
                                       departement=o.departements)
        except KeyError as err:
            raise ConfigError(f"{key}.territories", o.territories,
                              f"EPCI codes of the study area ({err.args[0]})") from None
        if where.size == 0:
            target = {k: v for k, v in (("territories", o.territories),
                                        ("departements", o.departements), ("group", o.group),
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

    def cost(self, model: MigrationModel) -> np.ndarray:
        """This month's cost in real euros per territory (none unless overridden)."""
        return self.spend(model, 0.0)

    def stop(self, model: MigrationModel) -> None:
        """Called once after the last month."""

    def spend(self, model: MigrationModel, amounts: np.ndarray | float) -> np.ndarray:
        """Euros per territory of the study area: ``amounts`` on the targeted territories
        while the policy is active, zero elsewhere and at other times."""
        out = np.zeros(len(model.territories))
        if self.active(model):
            out[self.where] = amounts
        return out

    def households_share(self, model: MigrationModel) -> np.ndarray:
        """Each targeted territory's share of the targets' households: how a flat budget
        or a total amount is split."""
        households = model.stock.occupied[self.where].astype(np.float64)
        return households / max(households.sum(), 1.0)

    def split(self, model: MigrationModel, amount: float, each: bool) -> np.ndarray:
        """``amount`` in each targeted territory (``each``), or in all of them, split by
        households."""
        return np.full(self.where.size, amount) if each else amount * self.households_share(model)

    def profile_rows(self, model: MigrationModel, names: list[str] | None) -> np.ndarray:
        """Positions of the profiles ``names`` in the model (every profile if None); a
        profile the model lacks is refused (configs check it on load, code at start)."""
        unknown = sorted(set(names or ()) - set(model.profiles))
        if unknown:
            raise ConfigError(f"{self.key}.profiles", unknown[0],
                              f"profiles of this model {model.profiles}")
        return (np.arange(len(model.profiles)) if names is None
                else np.array([model.profiles.index(p) for p in names]))


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
