"""Location choice: each mover draws a destination from a multinomial logit over every
territory (or over sampled alternatives).

Utility of territory j for household h of profile p living in o:

    V = A[p, j]                                  kind constant, amenities, services,
                                                 size · log(1 + dwellings), territory
                                                 constant, policy utility lever
      + same[p] · 1[j = o] + dist[p] · log(1 + km(o, j) / 10)
      + cost[p] · rent(j) / budget(h)             budget = income / housing factor
      + commute[p] · minutes(j, job) · (5 − telework days) / 5   job: a territory or a
                                                 pole across the border
      + (broadband[p] · bb(j) + coworking[p] · cw(j) + amenities_telework[p] · amen(j))
        · telework days / 5                      (where one teleworks, the place matters)
      + return bonus · urban(j)                  failed projects only

Policy levers (submodels/levers.py) enter here: the utility term in A; the broadband
score raised to the lever's floor, the coworking score to 1 − (1 − cw)(1 − share served
by the lever's seats); the commute's minutes to j's employment pole × the transport
lever; the commuting share of the week less the lever's days off commuting
(``minutes`` and the reach rule of relocation use the same).

Everything that does not depend on the household is gathered once per month into the
float32 lookup tables of the kernels (``kernels.choice.Tables``); no households ×
territories matrix is ever built (docs/performance.md). A choice uses one uniform draw
and the inverse of the cumulative probabilities in territory order, so a small change of
utilities moves few choices (common random numbers). With a focus area, a heavy mover
is split: units of it choose among the focus territories, the rest of it among the
others (population/focus.py, docs/focus.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from migrasim.ages import AGE_CLASSES, N_AGES
from migrasim.kernels import choice
from migrasim.params import (
    NonNegative,
    NonPositive,
    Params,
    Positive,
    Real,
    number,
    per_age,
    per_kind,
    per_profile,
    table_array,
)
from migrasim.population.focus import FocusArea
from migrasim.submodels.base import Result, Submodel
from migrasim.territories.classification import KINDS, URBAN

if TYPE_CHECKING:
    from migrasim.model import MigrationModel

CHUNKS = 64  # fixed split of the movers (each mover's choice is its own)
SCORES = ("amenities", "services", "broadband", "coworking")


class Sampling(Params):
    """Optional sampled alternatives (importance sampling, McFadden's correction)."""

    alternatives: number(1, 10_000, integer=True, optional=True)  # null: every territory
    distance_exponent: number(0.0, 20.0)
    nearest: number(0, 10_000, integer=True)


class AgeTerms(Params):
    """How the age class of the reference person shifts the profile's preferences."""

    kind: per_age(per_kind(Real))          # constants by destination kind, added
    distance_factor: per_age(Positive)     # × the profile's distance coefficient


class ChoiceParams(Params):
    """``model.choice``: logit coefficients per profile (configs/model/default.yaml)."""

    same_territory: per_profile(Real)
    distance: per_profile(NonPositive)     # × log(1 + km / 10)
    cost: per_profile(NonPositive)         # × rent / budget
    commute: per_profile(NonPositive)      # × one-way minutes × commuting share of the week
    amenities: per_profile(Real)
    services: per_profile(Real)
    broadband: per_profile(NonNegative)    # × telework share of the week
    coworking: per_profile(NonNegative)    # × telework share of the week
    amenities_telework: per_profile(Real)  # × telework share of the week
    size: number(0.0, 1.0)                 # × log(1 + dwellings): Daly (1982), in [0, 1]
    kind: per_profile(per_kind(Real))      # constants by destination kind
    age: AgeTerms                          # life stage: shifts by age class
    commute_intra_min: NonNegative         # one-way minutes inside an EPCI
    commute_access_min: NonNegative        # minutes added to inter-EPCI trips
    return_urban_bonus: NonNegative        # utility of urban classes for a failed project
    sampling: Sampling


def _by_segment(table: np.ndarray) -> np.ndarray:
    """A per-profile table (rows = profiles) repeated for each age class of a profile."""
    return np.repeat(np.asarray(table), N_AGES, axis=0)


class LocationChoice(Submodel):
    """Each mover chooses a destination territory from a multinomial logit."""

    name = "choice"
    title = "Location choice"
    section = "model.choice"
    after = ("shocks", "decision")
    reads = ("market", "constants")
    results = (Result("wanted_arrivals", "households",
                      "movers who chose this territory from another, served or not"),)

    def init(self, model: MigrationModel) -> None:
        p, t, profiles = self.params, model.territories, model.profiles
        self.coef = {k: table_array(getattr(p, k), profiles) for k in (
            "same_territory", "distance", "cost", "commute", "amenities", "services",
            "broadband", "coworking", "amenities_telework")}
        self.kind_const = np.array([[p.kind[name][k] for k in KINDS] for name in profiles])
        self.age_const = np.array([[p.age.kind[a][k] for k in KINDS] for a in AGE_CLASSES])
        self.distance_factor = np.array([p.age.distance_factor[a] for a in AGE_CLASSES])
        self.scores = {k: t.array(k) for k in SCORES}
        dist = t.distance_km
        self.log_dist = np.log1p(dist / 10.0)
        road = model.config.territory.priors.job_access
        minutes_per_km = road.road_factor / road.speed_kmh * 60.0
        # one-way minutes from each home (row) to each job site: the territories, then
        # the cross-border poles (Territories.n_sites)
        self.commute_min = minutes_per_km * t.site_distance_km + p.commute_access_min
        np.fill_diagonal(self.commute_min[:, :len(t)], p.commute_intra_min)
        self.site_log_dist = np.log1p(t.site_distance_km / 10.0)  # home row × job site
        self.site_commute = np.ascontiguousarray(self.commute_min.T)  # job site row × home
        self.urban = np.isin(t.df["hierarchy"], URBAN).astype(np.float64)
        c, f32, s = self.coef, choice.F32, self.scores
        self.static = {  # float32 tables that never change, one row per segment
            "log_dist": self.log_dist.astype(f32),
            "tele": self.telework_terms(s["broadband"], s["coworking"]),
            "commute": np.ascontiguousarray(self.commute_min.T, dtype=f32),  # site row
            "urban": self.urban.astype(f32),
            "dist_coef": (c["distance"][:, None] * self.distance_factor[None, :]).reshape(-1)
            .astype(f32),
            "same": _by_segment(c["same_territory"]).astype(f32),
            "cost": _by_segment(c["cost"]).astype(f32),
            "commute_coef": _by_segment(c["commute"]).astype(f32)}
        self.sample = None
        k, nearest = p.sampling.alternatives, p.sampling.nearest
        if k is not None and nearest < len(t) - 1:  # else nothing left to sample: full set
            # importance distribution from the initial stock (any q > 0 keeps the
            # correction exact in expectation; it need not follow construction)
            self.sample = choice.Sample(*choice.sampling_tables(
                self.log_dist, model.stock.dwellings, p.sampling.distance_exponent, nearest), k)
        self.tables = None
        self.chosen = np.empty(0, dtype=np.int32)
        self.focus = FocusArea(t, model.scale)
        self.units = np.empty(0, dtype=np.int64)  # this month's units (population/focus.py)

    def territory_terms(self, model: MigrationModel,
                        preference: Mapping[str, float] | None = None) -> np.ndarray:
        """A[s, j]: the part of utility that depends on the segment (profile × age class)
        and destination only, territory constants and the policy lever included."""
        pref = preference or {}
        c, s, kind = self.coef, self.scores, model.territories.kind_index
        per_profile = (self.kind_const[:, kind]
                       + (c["amenities"] * pref.get("amenities", 1.0))[:, None]
                       * s["amenities"][None, :]
                       + (c["services"] * pref.get("services", 1.0))[:, None]
                       * s["services"][None, :]
                       + self.params.size * np.log1p(np.maximum(model.stock.dwellings, 0))[None, :]
                       + model.levers.utility) + model.submodels.constants.values[None, :]
        per_age = self.age_const[:, kind]
        return (per_profile[:, None, :] + per_age[None, :, :]).reshape(-1, kind.size)

    def telework_terms(self, broadband: np.ndarray, coworking: np.ndarray) -> np.ndarray:
        """tele[s, j]: the utility of territory j per telework share of the week, given
        its broadband and coworking scores (float32, one row per segment)."""
        c = self.coef
        return _by_segment(c["broadband"][:, None] * broadband + c["coworking"][:, None]
                           * coworking + c["amenities_telework"][:, None]
                           * self.scores["amenities"]).astype(choice.F32)

    def telework_scores(self, model: MigrationModel) -> tuple[np.ndarray, np.ndarray]:
        """This month's broadband and coworking scores, the policy levers applied."""
        levers, s = model.levers, self.scores
        return (np.maximum(s["broadband"], levers.broadband),
                1.0 - (1.0 - s["coworking"]) * (1.0 - levers.coworking))

    def minutes(self, model: MigrationModel) -> np.ndarray:
        """One-way minutes from each home (row) to each job site this month: the
        transport lever shortens the trips from homes in j to j's employment pole."""
        if not model.levers.acting("pole_commute"):
            return self.commute_min
        factor, out = model.levers.pole_commute, self.commute_min.copy()
        homes = np.flatnonzero(factor != 1.0)
        out[homes, model.territories.pole[homes]] *= factor[homes]
        return out

    def lookup(self, model: MigrationModel, terms: np.ndarray) -> choice.Tables:
        """This month's lookup tables of the kernels, given the territory terms."""
        f32, levers = choice.F32, model.levers
        month = dict(self.static, days_off=np.zeros((0, 0), dtype=f32))
        if levers.acting("broadband") or levers.acting("coworking"):
            month["tele"] = self.telework_terms(*self.telework_scores(model))
        if levers.acting("pole_commute"):
            month["commute"] = np.ascontiguousarray(self.minutes(model).T, dtype=f32)
        if levers.acting("commute_days_off"):
            month["days_off"] = _by_segment(levers.commute_days_off / 5.0).astype(f32)
        return choice.Tables(terms=terms.astype(f32), rent=model.submodels.market.rent.astype(f32),
                             return_bonus=float(self.params.return_urban_bonus), **month)

    def choose(self, model: MigrationModel, month: int, movers: np.ndarray,
               reason: np.ndarray, tables: choice.Tables) -> np.ndarray:
        """Destination of each mover: over every territory, or over sampled alternatives."""
        hh = model.households.arrays()
        if self.sample is None:
            return choice.choose(model.seed, month, movers, reason, hh, tables, CHUNKS)
        return choice.choose_sampled(model.seed, month, movers, reason, hh, tables, CHUNKS,
                                     self.sample)

    def step(self, model: MigrationModel) -> None:
        decision = model.submodels.decision
        self.tables = self.lookup(model, self.territory_terms(
            model, model.submodels.shocks.preference))
        self.chosen = self.choose(model, model.month, decision.movers, decision.why,
                                  self.tables)
        if self.focus:
            self.chosen, self.units = self.focus.split(model, self.tables, self.chosen)

    def record(self, model: MigrationModel) -> dict[str, np.ndarray]:
        decision = model.submodels.decision
        elsewhere = self.chosen != decision.origin
        return {"wanted_arrivals": np.bincount(
            self.chosen[elsewhere], weights=model.households.weight[decision.movers[elsewhere]],
            minlength=len(model.territories))}
