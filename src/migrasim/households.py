"""Households as arrays (structure of arrays): one row per simulated household.

Each simulated household stands for ``1 / scale`` real ones. The synthetic population
depends only on the territories, the household parameters, the scale and the seed, never
on the scenario, so household ``i`` is the same household in every scenario of a seed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numba as nb
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

    def per_profile(key: str) -> np.ndarray:
        return np.array([float(params[key][p]) for p in profiles])

    hh = Households(
        home=home, profile=np.empty(n, dtype=np.int8), job=np.empty(n, dtype=np.int32),
        income=np.empty(n), owner=np.empty(n, dtype=np.bool_),
        telework_days=np.zeros(n, dtype=np.int8),
        months_since_arrival=np.empty(n, dtype=np.int32),
        origin=np.full(n, -1, dtype=np.int32),
    )
    _draw(seed, home, np.cumsum(shares, axis=1), per_profile("income_factor"),
          df["income_month"].to_numpy(float), float(params["income_sigma"]),
          per_profile("owner_share"), np.array([p in workers for p in profiles]),
          float(params["local_job_share"]), positions(territories, df["pole"].to_numpy()),
          hh.profile, hh.income, hh.owner, hh.job, hh.months_since_arrival)
    return hh


@nb.njit(parallel=True, cache=True)
def _draw(seed, home, cum_shares, income_factor, median_income, sigma, owner_share,
          is_worker, local_job_share, pole, profile, income, owner, job, since):
    """Each household's attributes from its own draws (one pass, no temporaries)."""
    last = cum_shares.shape[1] - 1
    for h in nb.prange(home.shape[0]):
        j = home[h]
        u = rng.uniform(seed, h, -1, rng.SYNTH_PROFILE)
        p = 0
        while p < last and u >= cum_shares[j, p]:
            p += 1
        profile[h] = p
        # log-normal around the territory's median, by Box-Muller from two draws
        r = np.sqrt(-2.0 * np.log1p(-rng.uniform(seed, h, -1, rng.SYNTH_INCOME)))
        z = r * np.cos(2.0 * np.pi * rng.uniform(seed, h, -1, rng.SYNTH_INCOME_ANGLE))
        income[h] = median_income[j] * income_factor[p] * np.exp(sigma * z - sigma**2 / 2)
        owner[h] = rng.uniform(seed, h, -1, rng.SYNTH_TENURE) < owner_share[p]
        if not is_worker[p]:
            job[h] = -1
        elif rng.uniform(seed, h, -1, rng.SYNTH_JOB) < local_job_share:
            job[h] = j
        else:
            job[h] = pole[j]
        since[h] = np.int32(rng.uniform(seed, h, -1, rng.SYNTH_SINCE) * 120)


def positions(territories: Territories, codes: np.ndarray) -> np.ndarray:
    """Positions of EPCI codes in the study area (a pole outside it maps to itself)."""
    index = {c: i for i, c in enumerate(territories.codes)}
    return np.array([index.get(c, i) for i, c in enumerate(codes)], dtype=np.int32)
