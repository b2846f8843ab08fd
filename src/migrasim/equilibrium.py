"""Territory constants that make the start of a run a stationary state of the model.

The synthetic population is placed where the census puts people, not where the choice
model would send them; left alone, the model would first "correct" that placement, and
those spurious flows would move prices in every scenario. As in UrbanSim's base-year
calibration of location-choice constants, one constant per territory is fitted so that,
at the start, expected arrivals equal expected departures plus any net migration target
by région (none by default; docs/odd.md §5). Expected flows use household types (home,
profile, job; mean telework and budget) weighted by their move hazards; the fixed point
is found by the usual log-ratio iteration.
"""

from __future__ import annotations

import numpy as np

from migrasim import choice, decision
from migrasim.scenario import telework_days

CHUNKS = 64  # fixed work split, independent of the thread count


def move_hazard(model, budget: np.ndarray, shock: np.ndarray | None = None) -> np.ndarray:
    """Ordinary monthly move hazard of each household (as in decision.py, in expectation)."""
    hh = model.households
    mv = model.move_params
    burden = np.where(hh.owner, 0.0, model.rent[hh.home] / budget)
    hz = model.monthly_rate[hh.profile] * model.tenure_factor[np.where(hh.owner, 0, 1)]
    if shock is not None:
        hz = hz * shock[hh.profile, model.hier[hh.home]]
    newcomer = hh.months_since_arrival < decision.NEWCOMER_MONTHS
    hz = hz * np.where(newcomer, model.newcomer_hazard[hh.home], 1.0)
    return hz * (1.0 + mv["burden_slope"] * np.maximum(burden - mv["burden_ref"], 0.0))


def household_types(model, budget: np.ndarray, telework: np.ndarray,
                    hazard: np.ndarray) -> tuple:
    """Households grouped by (home, profile, job), weighted by hazard: (weight, home,
    profile, job, mean 1 / budget, mean telework share of the week). Utility is linear in
    1 / budget and in telework, so the means keep each type's expected utility."""
    hh = model.households
    n, n_profiles = len(model.territories), len(model.profiles)
    key = (hh.home.astype(np.int64) * n_profiles + hh.profile) * (n + 1) + hh.job + 1
    types, inverse = np.unique(key, return_inverse=True)
    weight = np.bincount(inverse, weights=hazard)
    safe = np.maximum(weight, 1e-300)
    inv_budget = np.bincount(inverse, weights=hazard / budget) / safe
    mean_telework = np.bincount(inverse, weights=hazard * telework / 5.0) / safe
    rest, job = np.divmod(types, n + 1)
    home, profile = np.divmod(rest, n_profiles)
    return weight, home, profile, job - 1, inv_budget, mean_telework


def expected_flows(model, types: tuple, terms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Expected arrivals and departures a month per territory for household ``types``."""
    return choice.expected_flows(*types, terms, *model.choice_arrays(), CHUNKS)


def targets(model, net_per_year: dict) -> np.ndarray:
    """Net arrivals a month (simulated households) per territory: each région's target
    shared by population, the opposite total spread over the rest."""
    df = model.territories.df
    pop = df["population"].to_numpy(float)
    per_month = np.zeros(len(df))
    for region, persons in (net_per_year or {}).items():
        mine = (df["region"] == str(region)).to_numpy()
        if not mine.any():
            continue
        households = persons / df["household_size"].to_numpy(float) * model.scale / 12.0
        add = households[mine] * pop[mine] / pop[mine].sum()
        per_month[mine] += add
        per_month[~mine] -= add.sum() * pop[~mine] / pop[~mine].sum()
    return per_month


def territory_constants(model, params: dict) -> tuple[np.ndarray, dict]:
    """Constants (one per territory) and a convergence report."""
    hh = model.households
    budget = model.budget()
    tw = telework_days(hh, model.scenario.period(model.start_month), model.seed)
    types = household_types(model, budget, tw, move_hazard(model, budget))
    net = targets(model, params.get("net_migration_per_year"))
    base = model.territory_terms()
    asc = np.zeros(len(model.territories))
    report = {"types": int(len(types[0])), "iterations": 0, "max_gap": float("nan")}
    for it in range(int(params["iterations"])):
        arrivals, departures = expected_flows(model, types, base + asc[None, :])
        gap = np.log(np.maximum(departures + net, 1e-9)) - np.log(np.maximum(arrivals, 1e-9))
        asc += params["damping"] * gap
        asc -= asc.mean()
        report = {"types": int(len(types[0])), "iterations": it + 1,
                  "max_gap": float(np.abs(gap).max())}
        if report["max_gap"] < params["tolerance"]:
            break
    return asc, report
