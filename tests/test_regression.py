"""Behaviour is guarded: fixed small runs give what the committed baseline says.

On the CPU the baseline was made on, every table must be bit-identical; on another CPU
(float32 kernels and SIMD maths round differently) the headline figures must agree
within tolerances. A change that alters results updates the baseline in its own commit
(``python tests/regression.py --update``) and says why.
"""

import math
import warnings

import pytest
import regression

BASELINE = regression.load()
# Cross-CPU tolerances: (relative, absolute) per headline figure.
TOLERANCE = {"households_end": (0.0, 0.0), "moves_per_year_pct_population": (0.03, 0.0),
             "within_departement_share": (0.0, 0.01), "within_epci_share": (0.0, 0.01),
             "idf_net_migration_per_year": (0.1, 500.0), "arrivals": (0.03, 0.0),
             "displaced": (0.15, 200.0), "unmet_demand": (0.15, 200.0),
             "dwellings_end": (0.01, 0.0), "mean_price_end": (0.005, 0.0)}


def _close(key: str, got, want) -> bool:
    if want is None or got is None:  # a figure the study area has not (Île-de-France)
        return got is want
    if isinstance(want, dict):
        return set(got) == set(want) and all(_close(key, got[k], want[k]) for k in want)
    rel, abs_ = TOLERANCE[key]
    return math.isclose(got, want, rel_tol=rel, abs_tol=abs_)


@pytest.mark.parametrize("name", sorted(regression.RUNS))
def test_fixed_runs_reproduce_the_baseline(name):
    want = BASELINE["runs"][name]
    got = regression.run(name)
    changed = {k: (got["figures"][k], v) for k, v in want["figures"].items()
               if got["figures"][k] != v}
    if regression.machine() == BASELINE["machine"]:
        assert got["digests"] == want["digests"], (
            f"{name}: outputs changed; headline figures (now, baseline): {changed}. If the "
            "change is intended, update the baseline in a commit of its own that says why: "
            "python tests/regression.py --update")
        return
    warnings.warn(f"baseline made on {BASELINE['machine']}, this CPU is "
                  f"{regression.machine()}: headline figures compared within tolerances",
                  stacklevel=1)
    far = {k: v for k, v in changed.items() if not _close(k, *v)}
    assert not far, f"{name}: headline figures (now, baseline) out of tolerance: {far}"
