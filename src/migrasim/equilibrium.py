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

from migrasim import demand


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
    types = demand.household_types(model.types, model.decide(model.start_month)[1])
    net = targets(model, params.get("net_migration_per_year"))
    base = model.territory_terms()
    asc = np.zeros(len(model.territories))
    report = {"types": int(len(types[0])), "iterations": 0, "max_gap": float("nan")}
    for it in range(int(params["iterations"])):
        tables = model.tables(base + asc[None, :])
        arrivals, departures = demand.expected_flows(types, tables)
        gap = np.log(np.maximum(departures + net, 1e-9)) - np.log(np.maximum(arrivals, 1e-9))
        asc += params["damping"] * gap
        asc -= asc.mean()
        report = {"types": int(len(types[0])), "iterations": it + 1,
                  "max_gap": float(np.abs(gap).max())}
        if report["max_gap"] < params["tolerance"]:
            break
    return asc, report
