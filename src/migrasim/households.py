"""Households as arrays (structure of arrays): one row per simulated household.

Each simulated household stands for ``1 / scale`` real ones. The synthetic population
depends only on the territories, the household parameters, the scale and the seed, never
on the scenario, so household ``i`` is the same household in every scenario of a seed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from migrasim import rng
from migrasim.territories import Territories

KINDS = ("ME", "CU", "CA", "CC")


@dataclass
class Households:
    """State of every simulated household; index = household id (stable across scenarios)."""

    home: np.ndarray            # int32 territory position
    profile: np.ndarray         # int8 index into the profile list
    job: np.ndarray             # int32 territory of the job, -1 for retirees
    income: np.ndarray          # float64 €/month (disposable, household)
    owner: np.ndarray           # bool owner-occupier
    telework_days: np.ndarray   # int8 days a week (0-5), set each month by the scenario
    months_since_arrival: np.ndarray  # int32 (initial households: a draw over ten years)
    origin: np.ndarray          # int32 territory before the last move, -1 if none yet

    def __len__(self) -> int:
        return self.home.shape[0]


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


def synthesize(territories: Territories, params: Mapping, profiles: list[str],
               workers: list[str], scale: float, seed: int) -> Households:
    """The initial population of a study area at ``scale`` for ``seed``."""
    df = territories.df
    n_terr = len(df)
    expected = df["households"].to_numpy(float) * scale
    total = int(round(expected.sum()))
    count = allocate(expected, total, rng.draws(seed, n_terr, rng.SYNTH_TERRITORY))
    home = np.repeat(np.arange(n_terr, dtype=np.int32), count)
    n = home.shape[0]

    kind = df["kind"].to_numpy()
    shares = np.zeros((n_terr, len(profiles)))
    for p, name in enumerate(profiles):
        if name in params["shares"]:
            shares[:, p] = [params["shares"][name][k] for k in kind]
    stable = profiles.index("stable")
    shares[:, stable] = 1.0 - shares.sum(axis=1)
    cum = np.cumsum(shares, axis=1)[home]
    u = rng.draws(seed, n, rng.SYNTH_PROFILE)
    profile = (u[:, None] >= cum[:, :-1]).sum(axis=1).astype(np.int8)

    factor = np.array([params["income_factor"][p] for p in profiles])[profile]
    z = _normal(seed, n)
    median = df["income_month"].to_numpy(float)[home]
    income = median * factor * np.exp(params["income_sigma"] * z - params["income_sigma"] ** 2 / 2)

    owner_p = np.array([params["owner_share"][p] for p in profiles])[profile]
    owner = rng.draws(seed, n, rng.SYNTH_TENURE) < owner_p

    pole = positions(territories, df["pole"].to_numpy())
    is_worker = np.isin(np.array(profiles)[profile], workers)
    local = rng.draws(seed, n, rng.SYNTH_JOB) < params["local_job_share"]
    job = np.where(local, home, pole[home]).astype(np.int32)
    job = np.where(is_worker, job, -1).astype(np.int32)

    since = (rng.draws(seed, n, rng.SYNTH_SINCE) * 120).astype(np.int32)
    return Households(
        home=home, profile=profile, job=job, income=income, owner=owner,
        telework_days=np.zeros(n, dtype=np.int8), months_since_arrival=since,
        origin=np.full(n, -1, dtype=np.int32),
    )


def positions(territories: Territories, codes: np.ndarray) -> np.ndarray:
    """Positions of EPCI codes in the study area (a pole outside it maps to itself)."""
    index = {c: i for i, c in enumerate(territories.codes)}
    return np.array([index.get(c, i) for i, c in enumerate(codes)], dtype=np.int32)


def _normal(seed: int, n: int) -> np.ndarray:
    """Standard normal draws by Box-Muller from two counter-based uniforms."""
    r = np.sqrt(-2.0 * np.log1p(-rng.draws(seed, n, rng.SYNTH_INCOME)))
    return r * np.cos(2.0 * np.pi * rng.draws(seed, n, rng.SYNTH_INCOME_ANGLE))
