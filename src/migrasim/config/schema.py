"""The schema of the config tree (``configs/``): every key, its type, range and relations.

Why pydantic rather than hydra structured configs: hydra checks types only, and its
errors span several lines; the schema also needs ranges, relations between keys (shares
summing to at most one, ordered dates, profiles named consistently across tables,
policy options), unknown keys refused with the closest valid key suggested, and one-line
messages. Hydra still composes the tree and reads overrides; the schema then checks
the composed tree once, before any work. Submodels declare their own parameters
(``Params`` classes in ``migrasim.submodels``); this module assembles them with the
run settings, the territory priors and the scenario.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, ValidationInfo, field_validator, model_validator

from migrasim import calendar
from migrasim.params import (
    Allowed,
    Departements,
    Flag,
    Month,
    NonNegative,
    Params,
    Positive,
    Probability,
    Profile,
    Real,
    Text,
    fail,
    keyed,
    number,
    one_of,
    per_kind,
    suggest,
)
from migrasim.population.households import HouseholdParams
from migrasim.submodels.ageing import LifeParams
from migrasim.submodels.choice import ChoiceParams
from migrasim.submodels.constants import EquilibriumParams
from migrasim.submodels.construction import ConstructionParams
from migrasim.submodels.decision import MoveParams
from migrasim.submodels.demography import DemographyParams
from migrasim.submodels.economy import EconomyParams
from migrasim.submodels.market import MarketParams
from migrasim.submodels.relocation import RelocationParams
from migrasim.submodels.shocks import Shock
from migrasim.submodels.telework import TeleworkPeriod
from migrasim.territories.classification import AREAS

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


# ------------------------------------------------------------------------ profiles
def _profile_list(value):
    ok = (isinstance(value, list) and value
          and all(isinstance(v, str) and _NAME.match(v) for v in value)
          and len(set(value)) == len(value))
    if not ok:
        raise fail("a non-empty list of distinct profile names (letters, digits, _)")
    return value


ProfileList = Annotated[Any, BeforeValidator(_profile_list),
                        Allowed("a non-empty list of distinct profile names")]


class Roles(Params):
    """Who the profiles are, read first: every profile table is checked against them."""

    model_config = Params.model_config | {"extra": "ignore"}
    profiles: ProfileList
    workers: list[str]

    @model_validator(mode="after")
    def _workers(self) -> Roles:
        for i, name in enumerate(self.workers):
            if name not in self.profiles or name in self.workers[:i]:
                raise fail(f"one of the profiles {self.profiles}, each once",
                           key=f"workers[{i}]", value=name)
        return self

    def context(self) -> dict:
        return {"profiles": list(self.profiles), "workers": list(self.workers)}


# --------------------------------------------------------------- territory priors
class PriceCurve(Params):
    base: per_kind(Positive)
    size_elasticity: Real
    metro_premium: Real       # log-premium at a métropole's centre
    metro_decay_km: Positive
    paris_premium: Real       # log-premium at the Grand Paris centroid
    paris_decay_km: Positive
    coast_premium: Real       # × coast_share
    climate_premium: Real     # × climate score
    income_elasticity: Real   # × log cross-border income factor
    min: Positive
    max: Positive

    @model_validator(mode="after")
    def _bounds(self) -> PriceCurve:
        if self.max < self.min:
            raise fail(f"a price at least min ({self.min})", key="max", value=self.max)
        return self


class SecondHomes(Params):
    base: per_kind(Probability)
    coast: NonNegative
    mountain: NonNegative
    max: Probability


class RentCurve(Params):
    scale: Positive
    exponent: Real


class Income(Params):
    base: Positive
    kind_factor: per_kind(Positive)
    paris_premium: NonNegative
    paris_decay_km: Positive


class ServicesScore(Params):
    log10_pop_min: Real
    log10_pop_max: Real

    @model_validator(mode="after")
    def _bounds(self) -> ServicesScore:
        if self.log10_pop_max <= self.log10_pop_min:
            raise fail(f"more than log10_pop_min ({self.log10_pop_min})",
                       key="log10_pop_max", value=self.log10_pop_max)
        return self


class Relief(Params):
    from_m: Real
    to_m: Real

    @model_validator(mode="after")
    def _bounds(self) -> Relief:
        if self.to_m <= self.from_m:
            raise fail(f"an altitude above from_m ({self.from_m})", key="to_m", value=self.to_m)
        return self


class AmenitiesScore(Params):
    sea_decay_km: Positive
    lat_north: number(-90.0, 90.0)
    lat_south: number(-90.0, 90.0)
    relief: Relief
    weights: keyed(NonNegative, ("sea", "climate", "relief"), "the amenity components",
                   partial=False)

    @model_validator(mode="after")
    def _bounds(self) -> AmenitiesScore:
        if self.lat_north <= self.lat_south:
            raise fail(f"a latitude north of lat_south ({self.lat_south})", key="lat_north",
                       value=self.lat_north)
        return self


class BroadbandScore(Params):
    kind_base: per_kind(Probability)
    loss_per_100km: NonNegative
    min: Probability


class CoworkingScore(Params):
    population_per_site: Positive


class JobAccess(Params):
    pole_min_population: NonNegative
    road_factor: number(1.0, 5.0)
    speed_kmh: Positive
    decay_min: Positive


COUNTRIES = ("AD", "BE", "CH", "DE", "ES", "IT", "LU", "MC")  # of the cross-border poles


class CrossBorder(Params):
    commuters: keyed(NonNegative, COUNTRIES, "the countries of the cross-border poles")
    counted_with: keyed(one_of(COUNTRIES, "a country of the cross-border poles"), COUNTRIES,
                        "the countries of the cross-border poles")
    employment_rate: Probability
    decay_min: Positive
    max_share: Probability
    wage_ratio: keyed(Positive, COUNTRIES, "the countries of the cross-border poles")


class Priors(Params):
    """``territory.priors`` (configs/territory/default.yaml)."""

    household_size: per_kind(number(1.0, 6.0))
    share_vacant: per_kind(Probability)
    long_term_vacant_share: Probability  # of the vacant dwellings: off the market
    secondary: SecondHomes
    price: PriceCurve
    rent: RentCurve
    dwelling_m2: per_kind(number(5.0, 1000.0))
    income: Income
    services: ServicesScore
    amenities: AmenitiesScore
    broadband: BroadbandScore
    coworking: CoworkingScore
    job_access: JobAccess
    cross_border: CrossBorder

    @model_validator(mode="after")
    def _shares(self) -> Priors:
        for kind, vacant in self.share_vacant.items():
            most = max(self.secondary.base[kind], self.secondary.max)
            if vacant + most > 1.0 - 1e-9:
                raise fail(f"less than 1 − max(secondary.base.{kind}, secondary.max) "
                           f"({1 - most:.3g}): main residences, vacant and secondary homes "
                           "share the stock", key=f"share_vacant.{kind}", value=vacant)
        return self


def _groups(value):
    """Named groups of EPCI codes (SIREN codes read as numbers by hydra become strings)."""
    if not isinstance(value, dict):
        raise fail("a table of group name: list of EPCI codes")
    for name, codes in value.items():
        if not (isinstance(codes, list) and all(
                isinstance(c, str | int) and not isinstance(c, bool) for c in codes)):
            raise fail("a list of EPCI codes (SIREN)", key=str(name), value=codes)
    return {str(name): [str(c) for c in codes] for name, codes in value.items()}


FOCUS = "null, a group of territory.groups or a non-empty list of EPCI codes"


def _focus(value):
    """The focus area: a group name, or EPCI codes (numbers read by hydra become strings)."""
    if value is None or isinstance(value, str):
        return value
    if (not isinstance(value, list) or not value
            or not all(isinstance(v, str | int) and not isinstance(v, bool) for v in value)):
        raise fail(FOCUS)
    return [str(v) for v in value]


class TerritoryConfig(Params):
    """``territory`` (configs/territory/default.yaml)."""

    area: one_of(AREAS, "one of the study areas")
    departements: Departements = None
    overrides: str | None = None
    priors: Priors
    groups: Annotated[dict[str, Any], BeforeValidator(_groups),
                      Allowed("a table of group name: list of EPCI codes")] = {}
    focus: Annotated[Any, BeforeValidator(_focus), Allowed(FOCUS)] = None
    focus_scale: number(0.0, 1.0, lo_open=True) = 1.0  # at least the run's scale (Config)

    @model_validator(mode="after")
    def _focus_group(self) -> TerritoryConfig:
        if isinstance(self.focus, str) and self.focus not in self.groups:
            raise fail(f"null, a group of territory.groups {sorted(self.groups)} or a list "
                       f"of EPCI codes{suggest(self.focus, self.groups)}", key="focus",
                       value=self.focus)
        return self


class CheckpointConfig(Params):
    """``checkpoint``: how often a run saves its whole state (experiments/checkpoint.py)."""

    every: number(1, 1200, integer=True, optional=True) = None  # months; null: never


# ------------------------------------------------------------------------ the model
class ModelConfig(Params):
    """``model``: the profiles and every submodel's parameters (configs/model/)."""

    profiles: ProfileList
    workers: list[Profile]
    households: HouseholdParams
    move: MoveParams
    choice: ChoiceParams
    relocation: RelocationParams
    life: LifeParams
    demography: DemographyParams
    market: MarketParams
    construction: ConstructionParams
    equilibrium: EquilibriumParams


def _focus(value):
    """A group name of territory.groups, or EPCI codes (numbers read by hydra become
    strings); checked against the groups in ``config.validate``."""
    if value is None or (isinstance(value, str) and value):
        return value
    if (isinstance(value, list) and value
            and all(isinstance(v, str | int) and not isinstance(v, bool) for v in value)):
        return [str(v) for v in value]
    raise fail("null, a group of territory.groups or a non-empty list of EPCI codes")


class ScenarioConfig(Params):
    """``scenario`` (configs/scenario/NAME.yaml): telework path, shocks, policies, and the
    area simulated at full scale (``focus``)."""

    name: Text
    description: str = ""
    focus: Annotated[Any, BeforeValidator(_focus),
                     Allowed("null, a group name or a list of EPCI codes")] = None
    telework: Annotated[list[TeleworkPeriod],
                        Allowed("a non-empty list of telework periods {from, share, days}")]
    shocks: list[Shock] = []
    policies: list[dict[str, Any]] = []  # each checked against its class's options

    @model_validator(mode="after")
    def _periods(self) -> ScenarioConfig:
        if not self.telework:
            raise fail("a non-empty list of telework periods", key="telework", value=[])
        for i in range(1, len(self.telework)):
            if calendar.parse(self.telework[i].from_) <= calendar.parse(
                    self.telework[i - 1].from_):
                raise fail(f"a month after the previous period's ({self.telework[i - 1].from_})"
                           ": periods in order", key=f"telework[{i}].from",
                           value=self.telework[i].from_)
        return self


class Config(Params):
    """The whole config tree (configs/config.yaml)."""

    seed: number(0, 2**63 - 1, integer=True)
    scale: number(0.0, 1.0, lo_open=True)
    start: Month
    months: number(1, 1200, integer=True)
    compare_to: str | None = None
    progress: Flag = True
    figures: Flag = True
    checkpoint: CheckpointConfig = CheckpointConfig()
    memory_check: Flag = True  # refuse a run whose estimated peak exceeds free memory
    territory: TerritoryConfig
    model: ModelConfig
    economy: EconomyParams
    scenario: ScenarioConfig

    @model_validator(mode="after")
    def _focus_finer_than_the_run(self) -> Config:
        if self.territory.focus_scale < self.scale:
            raise fail(f"a number in [scale ({self.scale:g}), 1.0]: the focus is simulated "
                       "at a finer scale than the rest", key="territory.focus_scale",
                       value=self.territory.focus_scale)
        return self

    @model_validator(mode="after")
    def _economy_covers_the_run(self) -> Config:
        first = calendar.parse(self.start)
        last = first + self.months - 1
        self.economy.check_years(first // 12, last // 12,
                                 f"start {self.start}, {self.months} months")
        return self

    @field_validator("compare_to")
    @classmethod
    def _known(cls, value, info: ValidationInfo):
        known = (info.context or {}).get("scenarios")
        if value is not None and known is not None and value not in known:
            raise fail(f"null or one of {known}")
        return value
