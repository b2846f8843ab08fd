"""Regression baseline: what a few small fixed runs produce, stored compactly.

``python tests/regression.py`` prints each run's digests; ``--update`` rewrites
``tests/baseline/regression.json``. A change that alters results is its own commit that
updates the baseline and says why (tests/test_regression.py compares every run with it).

Each table (territories, flows, destabilisation, baseline territories) is digested
column by column, values as float64/int64 bytes or UTF-8 strings, so that the digest
does not depend on pandas' own hashing. Float32 choice kernels, numpy's and libm's
SIMD paths round differently on another CPU, so digests are exact only on the CPU they
were made on (``machine``); elsewhere the test compares the headline figures within
tolerances instead.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import sys
from pathlib import Path

import llvmlite.binding as llvm
import numpy as np
import pandas as pd

from migrasim import Simulation

BASELINE = Path(__file__).parent / "baseline" / "regression.json"
PETR_POLICIES = (
    "+scenario.policies=[{_target_: migrasim.policies.AccueilMission, "
    "group: petr_haut_rouergue, marketing_bonus: 0.5, retention: 0.6, from: '2020-01'}, "
    "{_target_: migrasim.policies.ConstructionCap, kind: CC, dwellings_per_year: 20, "
    "from: '2020-06', until: '2021-12'}]")

# name → Simulation arguments. Small enough for the test suite (a few seconds each),
# together they go through every path of the month: the covid shock and telework
# periods, a 1:1 area with construction and the vacancy term switched on, sampled
# alternatives, and both policies with their dates.
RUNS: dict[str, dict] = {
    "covid_1to1000_36_months": dict(scenario="covid", scale=0.001, months=36, seed=1),
    "aveyron_lozere_1to1_24_months": dict(
        scenario="remote50", scale=1.0, months=24, seed=2, overrides=[
            'territory.departements=["12","48"]', "start=2021-01",
            "model.construction.cost_m2=900", "model.construction.rate=0.02",
            "model.market.vacancy_weight=0.5"]),
    "sampled_alternatives_1to500_24_months": dict(
        scenario="remote50", scale=0.002, months=24, seed=3, compare_to=None,
        overrides=["model.choice.sampling.alternatives=16", "start=2021-06"]),
    "policies_1to500_30_months": dict(
        scenario="baseline", scale=0.002, months=30, seed=4,
        overrides=[PETR_POLICIES, "model.construction.cost_m2=1200",
                   "model.construction.rate=0.01"]),
}


def machine() -> str:
    """The CPU the digests are exact on: LLVM's name for it and numpy's SIMD features."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:  # numpy < 2
        from numpy.core._multiarray_umath import __cpu_features__ as features
    simd = hashlib.sha256(",".join(sorted(k for k, v in features.items() if v)).encode())
    return f"{platform.machine()}/{llvm.get_host_cpu_name()}/numpy-simd-{simd.hexdigest()[:8]}"


def digest(df: pd.DataFrame) -> str:
    """SHA-256 (16 hex digits) of a table's index, column names and values."""
    h = hashlib.sha256()
    frame = df.reset_index() if df.index.name is not None else df
    for name in frame.columns:
        col = frame[name]
        h.update(str(name).encode() + b"\x00")
        if pd.api.types.is_bool_dtype(col) or pd.api.types.is_integer_dtype(col):
            h.update(col.to_numpy(np.int64).tobytes())
        elif pd.api.types.is_float_dtype(col):
            values = col.to_numpy(np.float64).copy()
            values[np.isnan(values)] = np.inf * -1.0  # one bit pattern for every NaN
            h.update(values.tobytes())
        else:
            h.update("\x00".join(map(str, col.tolist())).encode())
    return h.hexdigest()[:16]


def figures(res) -> dict:
    """Headline figures, for the report of a mismatch and the cross-CPU comparison."""
    t = res.territories
    last = t[t["month"] == t["month"].max()]
    s = res.summary
    return {
        "households_end": float(last["households"].sum()),
        "moves_per_year_pct_population": {str(k): v for k, v in
                                          s["moves_per_year_pct_population"].items()},
        "within_departement_share": s["within_departement_share"],
        "within_epci_share": s["within_epci_share"],
        "idf_net_migration_per_year": None if s["idf_net_migration_per_year"] is None
        else {str(k): v for k, v in s["idf_net_migration_per_year"].items()},
        "arrivals": float(t["arrivals"].sum()),
        "displaced": float(t["displaced"].sum()),
        "unmet_demand": float(t["unmet_demand"].sum()),
        "dwellings_end": float(last["dwellings"].sum()),
        "mean_price_end": float(np.average(last["price_m2"], weights=last["dwellings"])),
    }


def run(name: str) -> dict:
    """Digests and headline figures of one named run."""
    res = Simulation(**RUNS[name]).run(progress=False)
    tables = {"territories": res.territories, "flows": res.flows,
              "destabilisation": res.destabilisation}
    if res.baseline is not None:
        tables["baseline_territories"] = res.baseline.territories
    out = {k: digest(v) for k, v in tables.items()}
    out["summary"] = hashlib.sha256(json.dumps(res.summary, sort_keys=True).encode()
                                    ).hexdigest()[:16]
    return {"digests": out, "figures": figures(res)}


def load() -> dict:
    return json.loads(BASELINE.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="rewrite the baseline file")
    args = parser.parse_args()
    result = {"machine": machine(), "runs": {name: run(name) for name in RUNS}}
    text = json.dumps(result, indent=1, sort_keys=True) + "\n"
    if args.update:
        BASELINE.parent.mkdir(parents=True, exist_ok=True)
        BASELINE.write_text(text)
        print(f"wrote {BASELINE}")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
