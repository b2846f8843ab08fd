"""Households as arrays (structure of arrays): one row per simulated household.

A simulated household of weight 1 stands for ``1 / scale`` real ones (a *base unit*);
in a focus area (``territory.focus``, docs/focus.md) households are synthesised at
``focus_scale`` with weight ``scale / focus_scale``, and every count of the model is a sum
of weights. The synthetic population depends only on the territories (and their focus),
the household parameters, the scale and the seed, never on the scenario, so household
``i`` is the same household in every scenario of a seed.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import NamedTuple

import numpy as np
from pydantic import ValidationInfo, model_validator

from migrasim import ages, rng
from migrasim.errors import ConfigError
from migrasim.kernels import incomes, synthesis
from migrasim.params import (
    Params,
    Probability,
    Profile,
    fail,
    number,
    per_age,
    per_kind,
    per_profile,
    table_array,
)
from migrasim.territories import Territories
from migrasim.territories.classification import KINDS


class HouseholdParams(Params):
    """``model.households``: the synthetic population (configs/model/default.yaml)."""

    shares: dict[str, per_kind(Probability)]  # by profile (all but ``rest``) and EPCI kind
    rest: Profile                             # the profile of households not in the shares
    income_factor: per_profile(number(0.0, 100.0, lo_open=True))
    income_sigma: number(0.0, 3.0)
    owner_share: per_profile(Probability)
    housing_factor: per_profile(number(0.0, 10.0, lo_open=True))
    local_job_share: Probability
    age_shares: per_profile(per_age(Probability, partial=True))  # share of each age class

    @model_validator(mode="after")
    def _shares(self, info: ValidationInfo) -> HouseholdParams:
        profiles = (info.context or {}).get("profiles")
        if profiles is not None:
            drawn = [p for p in profiles if p != self.rest]
            for name in self.shares:
                if name not in drawn:
                    raise fail(f"the profiles but the rest ({self.rest!r}): {drawn}",
                               key=f"shares.{name}", problem=f"unknown key {name!r}")
            for name in drawn:
                if name not in self.shares:
                    raise fail(f"a share by EPCI kind for every profile but the rest: {drawn}",
                               key=f"shares.{name}", problem="missing")
        for name, table in self.age_shares.items():
            total = sum(table.values())
            if abs(total - 1.0) > 1e-6:
                raise fail("age-class shares summing to 1", key=f"age_shares.{name}",
                           value=round(total, 6))
        for kind in KINDS:
            total = sum(table[kind] for table in self.shares.values())
            if total > 1.0 + 1e-9:
                raise fail("shares of one EPCI kind summing to at most 1 (the rest is "
                           f"{self.rest!r})", key=f"shares.*.{kind}", value=round(total, 6))
        return self


class HouseholdArrays(NamedTuple):
    """The household arrays as one bundle for the kernels (views, not copies)."""

    home: np.ndarray
    profile: np.ndarray
    job: np.ndarray
    income: np.ndarray
    owner: np.ndarray
    telework_days: np.ndarray
    months_since_arrival: np.ndarray
    origin: np.ndarray
    budget: np.ndarray
    age: np.ndarray
    segment: np.ndarray
    alive: np.ndarray
    weight: np.ndarray
    key: np.ndarray


@dataclass
class Households:
    """State of every simulated household; index = household id (stable across scenarios
    for the synthesised households; ``key`` identifies every household's draws)."""

    home: np.ndarray            # int32 territory position
    profile: np.ndarray         # int8 index into the profile list
    job: np.ndarray             # int32 territory of the job, -1 without one
    income: np.ndarray          # float64 €/month (disposable, household)
    owner: np.ndarray           # bool owner-occupier
    telework_days: np.ndarray   # int8 days a week (0-5), set by the telework submodel
    months_since_arrival: np.ndarray  # int32 (initial households: a draw over ten years)
    origin: np.ndarray          # int32 territory before the last move, -1 if none yet
    budget: np.ndarray          # float64 income / housing factor of the profile: the rent
    #                             burden is rent / budget
    age: np.ndarray             # int16 age of the reference person, in months
    segment: np.ndarray         # int8 profile × age class (migrasim.ages.segment)
    alive: np.ndarray           # bool: the household exists (dissolved ones and the slots
    #                             kept for households still to form are not)
    weight: np.ndarray          # float64 base units (1 / scale real households) it stands for
    key: np.ndarray             # uint64 key of its random draws (rng.py): its position,
    #                             or a unit's key (rng.unit_key)

    def __post_init__(self) -> None:
        self.next_key = len(self)  # keys of positions given so far (units take none)

    def __len__(self) -> int:
        return self.home.shape[0]

    @property
    def count(self) -> int:
        """Households that exist now."""
        return int(self.alive.sum())

    def arrays(self) -> HouseholdArrays:
        return HouseholdArrays(*(getattr(self, f.name) for f in fields(self)))

    def update_budget(self, who, housing_factor: np.ndarray) -> None:
        """Budget of households ``who`` from their income and profile."""
        self.budget[who] = self.income[who] / housing_factor[self.profile[who]]

    def grow_incomes(self, factor: float, housing_factor: np.ndarray) -> None:
        """Every income × ``factor``, and the budgets that follow."""
        incomes.grow(self.income, self.budget, self.profile, housing_factor, factor)

    def update_segment(self, who) -> None:
        """Segment of households ``who`` from their profile and age."""
        self.segment[who] = ages.segment(self.profile[who], self.age[who])

    def __getstate__(self) -> dict:
        """Pickled (checkpoints) without the growth buffers: the arrays come back as copies,
        no longer views of them, so the next ``grow`` makes fresh ones."""
        return {k: v for k, v in self.__dict__.items() if k != "_buffers"}

    def grow(self, k: int, keys: np.ndarray | None = None) -> np.ndarray:
        """Room for ``k`` new households: the positions of ``k`` slots appended (not alive
        yet, weight 1). Ids of existing households never change. Their keys are ``keys``
        (units), or the next ``k`` keys of positions: without units, their positions. The
        arrays are views of buffers with some spare room, so most months append without
        copying the population."""
        n = len(self)
        buffers = self.__dict__.setdefault("_buffers", {})
        if not buffers or n + k > buffers["home"].shape[0]:
            capacity = n + k + n // 20  # 5 % spare: a copy every few years of growth
            for f in fields(self):
                a = getattr(self, f.name)
                buffers[f.name] = np.empty(capacity, dtype=a.dtype)
                buffers[f.name][:n] = a
        for f in fields(self):
            view = buffers[f.name][:n + k]
            view[n:] = 0
            setattr(self, f.name, view)
        self.job[n:] = -1
        self.origin[n:] = -1
        self.budget[n:] = 1.0
        self.weight[n:] = 1.0
        if keys is None:
            keys = np.arange(self.next_key, self.next_key + k, dtype=np.uint64)
            self.next_key += k
        self.key[n:] = keys
        return np.arange(n, n + k, dtype=np.int64)


def allocate(expected: np.ndarray, total: int, u: np.ndarray) -> np.ndarray:
    """Integer counts with the given total, proportional to ``expected`` (stochastic rounding
    of the remainders by draws ``u``, one per territory)."""
    base = np.floor(expected).astype(np.int64)
    short = total - base.sum()
    if short > 0:
        frac = expected - base
        order = np.lexsort((u, -(frac + 1e-9 * u)))
        base[order[:short]] += 1
    return base


def kind_shares(params: HouseholdParams, profiles: list[str]) -> np.ndarray:
    """Share of households of each profile (columns) by EPCI kind (rows, in ``KINDS``
    order); the ``rest`` profile takes what the others leave."""
    shares = np.array([[params.shares.get(p, {}).get(k, 0.0) for p in profiles]
                       for k in KINDS])
    shares[:, profiles.index(params.rest)] = 1.0 - shares.sum(axis=1)
    return shares


def initial_counts(territories: Territories, scale: float, seed: int) -> np.ndarray:
    """Simulated households of each territory at the start of a run at ``scale`` (see
    :func:`synthesize`); ``ConfigError`` on ``scale`` if one territory would have none
    (its indicators would be NaN), naming the smallest territory and the scale that gives
    it one household for sure."""
    households = territories.df["households"].to_numpy(float)
    expected = households * scale
    count = allocate(expected, int(round(expected.sum())),
                     rng.draws(seed, len(households), rng.SYNTH_TERRITORY))
    focus = territories.focus
    count[focus] = np.round(households[focus] * territories.focus_scale).astype(np.int64)
    if (count == 0).any():
        i = int(np.argmin(households))
        least = households[i] * territories.scale_of(scale)[i]
        raise ConfigError("scale", scale, f"a scale >= {1.0 / households[i]:.3g} (one "
                          "household in the smallest EPCI)", problem=(
            f"{scale:g} leaves {int((count == 0).sum())} EPCI of the study area with no "
            f"household (the smallest, {territories.codes[i]} "
            f"{territories.df['name'].iat[i]}, has {households[i]:,.0f} households: "
            f"{least:.3g} at this scale)"))
    return count


def synthesize(territories: Territories, params: HouseholdParams, profiles: list[str],
               workers: list[str], scale: float, seed: int) -> Households:
    """The initial population of a study area at ``scale`` for ``seed``: the area's
    households at ``scale`` shared among the territories by stochastic rounding, but in a
    focus territory ``round(households × focus_scale)`` households of weight
    ``scale / focus_scale`` (the other territories get what they get without a focus)."""
    df = territories.df
    n_terr = len(df)
    home = np.repeat(np.arange(n_terr, dtype=np.int32), initial_counts(territories, scale,
                                                                        seed))
    n = home.shape[0]

    shares = kind_shares(params, profiles)[territories.kind_index]

    hh = Households(
        home=home, profile=np.empty(n, dtype=np.int8), job=np.empty(n, dtype=np.int32),
        income=np.empty(n), owner=np.empty(n, dtype=np.bool_),
        telework_days=np.zeros(n, dtype=np.int8),
        months_since_arrival=np.empty(n, dtype=np.int32),
        origin=np.full(n, -1, dtype=np.int32), budget=np.empty(n),
        age=np.empty(n, dtype=np.int16), segment=np.empty(n, dtype=np.int8),
        alive=np.ones(n, dtype=np.bool_),
        weight=(scale / territories.scale_of(scale))[home],
        key=np.arange(n, dtype=np.uint64),
    )
    synthesis.draw(seed, hh.arrays(), synthesis.Synthesis(
        cum_shares=np.cumsum(shares, axis=1),
        income_factor=table_array(params.income_factor, profiles),
        median_income=df["income_month"].to_numpy(float), sigma=float(params.income_sigma),
        owner_share=table_array(params.owner_share, profiles),
        is_worker=np.array([p in workers for p in profiles]),
        local_job_share=float(params.local_job_share), pole=territories.pole,
        border_cum=np.cumsum(territories.border, axis=1), wage_ratio=territories.wage_ratio,
        income_norm=territories.income_premium))
    hh.update_budget(slice(None), table_array(params.housing_factor, profiles))
    hh.age[:] = draw_ages(seed, hh.key, hh.profile, params.age_shares, profiles, -1)
    hh.update_segment(slice(None))
    return hh


def draw_ages(seed: int, keys: np.ndarray, profile: np.ndarray, shares: dict,
              profiles: list[str], month: int) -> np.ndarray:
    """Age in months of the households of ``keys``: a class from the shares of their
    ``profile``, then a month uniform within the class (two draws of their own)."""
    cum = np.cumsum([[shares[p].get(k, 0.0) for k in ages.AGE_CLASSES] for p in profiles],
                    axis=1)
    u = rng.uniforms(seed, keys, month, rng.SYNTH_AGE_CLASS)
    k = np.minimum((u[:, None] >= cum[profile]).sum(axis=1), ages.N_AGES - 1)
    lo, hi = np.array([ages.class_range_months(c) for c in range(ages.N_AGES)]).T
    v = rng.uniforms(seed, keys, month, rng.SYNTH_AGE)
    return (lo[k] + np.floor(v * (hi[k] - lo[k] + 1))).astype(np.int16)

