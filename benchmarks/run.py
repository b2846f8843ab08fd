"""Benchmarks of the fast path against the plain-Mesa reference, on this machine.

    python benchmarks/run.py            # everything (~10 min on 2 cores)
    python benchmarks/run.py --quick    # small sizes only (~2 min)

Every measurement runs in a fresh subprocess (so peak memory is its own), on the
``remote50`` scenario (step timings from October 2019, so they cross a new year) with
territory constants fitted as in a real run, with ``NUMBA_NUM_THREADS=2`` unless a
one-thread run is named. Step times are medians over repeated months after a warm-up
month. The speedup against the Mesa reference (one ``mesa.Agent`` per household,
reference.py) is measured on the same months from the same initial state, and the two
are checked to end in the same state; so is the speedup against the numpy-per-agent Mesa
model (``MesaNumpyReference``: the baseline a competent Mesa user writes), whole step
against whole step, with the median, min and max of 5 months after a warm-up month.
Prints a table and writes ``benchmarks/results/latest.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
FULL = "full_scale"
TWO = {"NUMBA_NUM_THREADS": "2"}
HOUSEHOLDS_1TO1 = 30_979_562  # households of metropolitan France in the shipped data


def _scale(size: str) -> float:
    return 1.0 if size == FULL else min(1.0, int(size) / HOUSEHOLDS_1TO1)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _digest(model) -> str:
    hh, market = model.households, model.submodels.market
    h = hashlib.sha256()
    for a in (hh.home, hh.job, hh.profile, market.price, market.rent, model.stock.vacant):
        h.update(a.tobytes())
    return h.hexdigest()[:16]


def _median(xs: list[float]) -> float:
    s = sorted(xs)
    k = len(s) // 2
    return s[k] if len(s) % 2 else (s[k - 1] + s[k]) / 2


# ------------------------------------------------------------------------ workers
def work_fast(size: str, steps: int, sampled: int | None = None) -> dict:
    """Init time, seconds per month step, per choice and per decision pass, peak memory,
    household types in use, final digest."""
    from migrasim.model import MigrationModel

    # from October 2019: the timed months cross a new year (household types compacted)
    overrides = ["start=2019-10"]
    if sampled is not None:
        overrides.append(f"model.choice.sampling.alternatives={sampled}")
    t0 = time.perf_counter()
    m = MigrationModel("remote50", scale=_scale(size), months=steps + 1, collect=False,
                       overrides=overrides)
    init = time.perf_counter() - t0
    choice, decision = m.submodels.choice, m.submodels.decision
    choose, decide, choice_s, decide_s, movers = choice.choose, decision.decide, [], [], []

    def timed_choose(*args):
        t = time.perf_counter()
        out = choose(*args)
        choice_s.append(time.perf_counter() - t)
        movers.append(len(args[2]))  # (model, month, movers, reason, tables)
        return out

    def timed_decide(*args):
        t = time.perf_counter()
        out = decide(*args)
        decide_s.append(time.perf_counter() - t)
        return out

    choice.choose, decision.decide = timed_choose, timed_decide
    m.step()  # warm-up month (compilation if the cache is cold)
    step_s = []
    for _ in range(steps):
        t = time.perf_counter()
        m.step()
        step_s.append(time.perf_counter() - t)
    import numpy as np

    return {"households": len(m.households), "alternatives": len(m.territories),
            "init_s": init, "step_s": _median(step_s), "choice_s": _median(choice_s[1:]),
            "decision_s": _median(decide_s[1:]), "movers": _median(movers[1:]),
            # utility evaluations per second over the timed months (gather, sort and
            # draws of the choice kernel included)
            "evaluations_per_s": sum(movers[1:]) * len(m.territories) / sum(choice_s[1:]),
            "types": int((np.bincount(m.types.id) > 0).sum()), "rss_mb": _rss_mb(),
            "digest": _digest(m)}


def work_reference(size: str, steps: int) -> dict:
    """Seconds per month step of the Mesa reference and of the fast path on the same
    months from the same state, and whether they end in the same state (every
    household's home, job and profile; vacancies; prices and rents within 1e-4)."""
    import numpy as np

    from migrasim.model import MigrationModel
    from migrasim.reference import MesaReference

    warm = MigrationModel("remote50", scale=_scale("10000"), months=1, collect=False)
    warm.step()  # load the cached kernels before timing
    m = MigrationModel("remote50", scale=_scale(size), months=steps, collect=False)
    t0 = time.perf_counter()
    ref = MesaReference(m)
    build = time.perf_counter() - t0
    ref_s, fast_s = [], []
    for _ in range(steps):
        t = time.perf_counter()
        ref.step()
        ref_s.append(time.perf_counter() - t)
        t = time.perf_counter()
        m.step()
        fast_s.append(time.perf_counter() - t)
    hh = m.households
    market = m.submodels.market
    same = (all(np.array_equal(getattr(hh, k), [getattr(a, k) for a in ref.households])
                for k in ("home", "job", "profile"))
            and np.array_equal(m.stock.vacant, ref.vacant)
            and np.allclose(market.price, ref.price, rtol=1e-4)
            and np.allclose(market.rent, ref.rent, rtol=1e-4))
    return {"households": len(hh), "build_s": build, "reference_step_s": _median(ref_s),
            "fast_step_s": _median(fast_s), "same_state": bool(same)}


def _first_difference(m, ref) -> str | None:
    """This month's first difference in movers or choices between the fast path ``m``
    and a Mesa model ``ref``, or None. A differing choice is given with the distance of
    its draw to the nearest edge of the destination's interval of the reference's
    cumulative weights, relative to the total: float32 utilities in the fast path move a
    choice only when this is tiny (tests/test_reference.py)."""
    from migrasim import calendar, rng

    fast = dict(zip(m.submodels.decision.movers.tolist(), m.submodels.choice.chosen.tolist(),
                    strict=True))
    label = calendar.label(ref.month - 1)
    if fast.keys() != ref.last_chosen.keys():
        return f"{label}: the movers differ"
    for h, chosen in ref.last_chosen.items():
        if fast[h] != chosen:
            cumulative = ref.households[h].cumulative
            target = rng.uniform_py(ref.seed, h, ref.month - 1, rng.CHOICE) * cumulative[-1]
            lower = cumulative[chosen - 1] if chosen else 0.0
            gap = min(target - lower, cumulative[chosen] - target) / cumulative[-1]
            return (f"{label}: household {h} chose {fast[h]} in the fast path, {chosen} in "
                    f"the Mesa model; its draw lies {gap:.1e} of the total weight from a "
                    "boundary")
    return None


def work_reference_numpy(size: str, steps: int) -> dict:
    """Seconds per month step (median, min and max of ``steps`` months after a warm-up
    month) of the numpy-per-agent Mesa model and of the fast path on the same months
    from the same state, its build time, whether they end in the same state (as
    ``work_reference``) and, if not, where they parted first."""
    import numpy as np

    from migrasim.model import MigrationModel
    from migrasim.reference import MesaNumpyReference

    warm = MigrationModel("remote50", scale=_scale("10000"), months=1, collect=False)
    warm.step()  # load the cached kernels before timing
    m = MigrationModel("remote50", scale=_scale(size), months=steps + 1, collect=False,
                       overrides=["start=2019-10"])  # the months of work_fast
    t0 = time.perf_counter()
    ref = MesaNumpyReference(m)
    build = time.perf_counter() - t0
    ref_s, fast_s, difference = [], [], None
    for _ in range(steps + 1):  # the first month warms both up
        t = time.perf_counter()
        ref.step()
        ref_s.append(time.perf_counter() - t)
        t = time.perf_counter()
        m.step()
        fast_s.append(time.perf_counter() - t)
        difference = difference or _first_difference(m, ref)  # (not timed)
    hh, market = m.households, m.submodels.market
    same = (all(np.array_equal(getattr(hh, k), [getattr(a, k) for a in ref.households])
                for k in ("home", "job", "profile"))
            and np.array_equal(m.stock.vacant, ref.vacant)
            and np.allclose(market.price, ref.price, rtol=1e-4)
            and np.allclose(market.rent, ref.rent, rtol=1e-4))
    return {"households": len(hh), "build_s": build, "reference_step_s": _median(ref_s[1:]),
            "reference_step_min_s": min(ref_s[1:]), "reference_step_max_s": max(ref_s[1:]),
            "fast_step_s": _median(fast_s[1:]), "fast_step_min_s": min(fast_s[1:]),
            "fast_step_max_s": max(fast_s[1:]), "same_state": bool(same),
            "first_difference": difference, "rss_mb": _rss_mb()}


def work_startup() -> dict:
    """Import, 10^4-household model and its first month, from process start."""
    t0 = time.perf_counter()
    from migrasim.model import MigrationModel

    m = MigrationModel("remote50", scale=_scale("10000"), months=2, collect=False)
    m.step()
    return {"startup_s": time.perf_counter() - t0}


def work_years(years: int) -> dict:
    """Wall time of ``years`` simulated years at full scale, model construction included."""
    from migrasim.model import MigrationModel

    t0 = time.perf_counter()
    m = MigrationModel("remote50", scale=1.0, months=12 * years, collect=False)
    while m.running:
        m.step()
    return {"seconds": time.perf_counter() - t0, "rss_mb": _rss_mb()}


WORKERS = {"fast": work_fast, "reference": work_reference,
           "reference_numpy": work_reference_numpy, "startup": work_startup,
           "years": work_years}


# ------------------------------------------------------------------ orchestration
def spawn(kind: str, env: dict | None = None, **kwargs) -> dict:
    cmd = [sys.executable, __file__, "--worker", json.dumps({"kind": kind, **kwargs})]
    out = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **(env or {})},
                         check=False)
    if out.returncode != 0:
        sys.exit(f"benchmark worker {kind} {kwargs} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def cli_run() -> float:
    """The README's main job at 1:100 end to end (warm numba cache)."""
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "migrasim", "scenario=remote50", "progress=false",
                        f"hydra.run.dir={tmp}/run"], check=True, capture_output=True, cwd=ROOT)
        return time.perf_counter() - t0


def main(quick: bool) -> dict:
    sizes = ["10000", "100000"] if quick else ["10000", "100000", "1000000", "10000000", FULL]
    steps = 3 if quick else 5
    ref_sizes = ["10000"] if quick else ["10000", "50000"]
    r: dict = {"machine": f"{platform.processor() or platform.machine()}, "
                          f"{os.cpu_count()} cores, Python {platform.python_version()}",
               "quick": quick, "date": time.strftime("%Y-%m-%d %H:%M")}

    with tempfile.TemporaryDirectory() as cache:  # compile time: cold, then warm cache
        env = {"NUMBA_CACHE_DIR": cache, **TWO}
        r["startup_seconds_cold_cache"] = spawn("startup", env)["startup_s"]
        r["startup_seconds_warm_cache"] = _median(
            [spawn("startup", env)["startup_s"] for _ in range(3)])
    r["compile_seconds"] = r["startup_seconds_cold_cache"] - r["startup_seconds_warm_cache"]
    spawn("startup", TWO)  # compile into the default cache: init times below exclude it

    for size in sizes:
        f = spawn("fast", TWO, size=size, steps=steps)
        one = spawn("fast", {"NUMBA_NUM_THREADS": "1"}, size=size, steps=steps)
        r[f"households_{size}"] = f["households"]
        r[f"seconds_per_step_{size}"] = f["step_s"]
        r[f"seconds_per_step_one_thread_{size}"] = one["step_s"]
        r[f"choice_seconds_per_step_{size}"] = f["choice_s"]
        r[f"choice_seconds_per_step_one_thread_{size}"] = one["choice_s"]
        r[f"decision_seconds_per_step_{size}"] = f["decision_s"]
        r[f"movers_per_step_{size}"] = f["movers"]
        r[f"evaluations_per_second_{size}"] = f["evaluations_per_s"]
        r[f"evaluations_per_second_one_thread_{size}"] = one["evaluations_per_s"]
        r[f"init_seconds_{size}"] = f["init_s"]
        r[f"household_types_in_use_{size}"] = f["types"]
        r[f"peak_rss_mb_{size}"] = f["rss_mb"]
        r[f"threads_1_and_2_identical_{size}"] = f["digest"] == one["digest"]
    r["alternatives"] = f["alternatives"]

    for size in ref_sizes:
        ref = spawn("reference", TWO, size=size, steps=2)
        r[f"reference_seconds_per_step_{size}"] = ref["reference_step_s"]
        r[f"fast_seconds_per_step_same_months_{size}"] = ref["fast_step_s"]
        r[f"speedup_vs_mesa_{size}"] = ref["reference_step_s"] / ref["fast_step_s"]
        r[f"reference_same_final_state_{size}"] = ref["same_state"]

    for size in ["10000", "100000"] if quick else ["10000", "100000", "1000000"]:
        npy = spawn("reference_numpy", TWO, size=size, steps=5)
        for key, name in (("reference_step", "mesa_numpy_seconds_per_step_"),
                          ("fast_step", "fast_seconds_per_step_same_months_numpy_")):
            r[f"{name}{size}"] = npy[f"{key}_s"]
            r[f"{name}{size}_min"] = npy[f"{key}_min_s"]
            r[f"{name}{size}_max"] = npy[f"{key}_max_s"]
        r[f"mesa_numpy_build_seconds_{size}"] = npy["build_s"]
        r[f"speedup_vs_mesa_numpy_{size}"] = npy["reference_step_s"] / npy["fast_step_s"]
        r[f"mesa_numpy_same_final_state_{size}"] = npy["same_state"]
        r[f"mesa_numpy_first_difference_{size}"] = npy["first_difference"]

    big = sizes[-1]
    s = spawn("fast", TWO, size=big, steps=steps, sampled=16)
    r[f"choice_seconds_per_step_sampled16_{big}"] = s["choice_s"]
    r[f"choice_speedup_sampled16_{big}"] = r[f"choice_seconds_per_step_{big}"] / s["choice_s"]

    if not quick:
        r["seconds_ten_years_full_scale"] = spawn("years", TWO, years=10)["seconds"]
        r["seconds_cli_remote50_1to100"] = _median([cli_run() for _ in range(3)])
    return r


def table(r: dict) -> str:
    sizes = [k.removeprefix("seconds_per_step_") for k in r
             if k.startswith("seconds_per_step_") and "one_thread" not in k]
    lines = [f"migrasim benchmarks — {r['machine']} — {r['date']}", "",
             "| households | movers/month | s/step | s/step 1 thread | choice s | decision s | "
             "evals/s (M) | ns/eval/thread (2 thr) | ns/eval 1 thread | init s | "
             "peak RSS MB | threads 1=2 |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for size in sizes:
        ev = r[f"evaluations_per_second_{size}"]
        lines.append(
            f"| {r[f'households_{size}']:,} | {r[f'movers_per_step_{size}']:,.0f} "
            f"| {r[f'seconds_per_step_{size}']:.3f} "
            f"| {r[f'seconds_per_step_one_thread_{size}']:.3f} "
            f"| {r[f'choice_seconds_per_step_{size}']:.3f} "
            f"| {r[f'decision_seconds_per_step_{size}']:.3f} | {ev / 1e6:,.0f} "
            f"| {2e9 / ev:.2f} | {1e9 / r[f'evaluations_per_second_one_thread_{size}']:.2f} "
            f"| {r[f'init_seconds_{size}']:.1f} "
            f"| {r[f'peak_rss_mb_{size}']:,.0f} | {r[f'threads_1_and_2_identical_{size}']} |")
    lines.append("")
    for k in [k for k in r if k.startswith("speedup_vs_mesa_") and "numpy" not in k]:
        size = k.removeprefix("speedup_vs_mesa_")
        lines.append(f"Mesa reference at {size} households: "
                     f"{r[f'reference_seconds_per_step_{size}']:.2f} s/step vs "
                     f"{r[f'fast_seconds_per_step_same_months_{size}']:.4f} s/step → "
                     f"{r[k]:.0f}× faster; same final state: "
                     f"{r[f'reference_same_final_state_{size}']}")
    for k in [k for k in r if k.startswith("speedup_vs_mesa_numpy_")]:
        size = k.removeprefix("speedup_vs_mesa_numpy_")
        mesa_s, fast_s = (f"mesa_numpy_seconds_per_step_{size}",
                          f"fast_seconds_per_step_same_months_numpy_{size}")
        lines.append(f"Mesa-numpy model at {size} households: {r[mesa_s]:.3f} s/step "
                     f"({r[mesa_s + '_min']:.3f}–{r[mesa_s + '_max']:.3f}) vs "
                     f"{r[fast_s]:.4f} s/step ({r[fast_s + '_min']:.4f}–{r[fast_s + '_max']:.4f})"
                     f" → {r[k]:.0f}× faster; build {r[f'mesa_numpy_build_seconds_{size}']:.1f} s;"
                     f" same final state: {r[f'mesa_numpy_same_final_state_{size}']}")
        if r[f"mesa_numpy_first_difference_{size}"]:
            lines.append(f"  first difference: {r[f'mesa_numpy_first_difference_{size}']}")
    for k in [k for k in r if k.startswith("choice_speedup_sampled16_")]:
        lines.append(f"Sampled alternatives (home + 16 nearest + 16 drawn) at "
                     f"{k.removeprefix('choice_speedup_sampled16_')}: choice "
                     f"{r[k]:.2f}× the speed of the full choice set")
    lines.append(f"Start-up (import + 10^4 model + first month): cold cache "
                 f"{r['startup_seconds_cold_cache']:.1f} s, warm cache "
                 f"{r['startup_seconds_warm_cache']:.1f} s")
    if "seconds_ten_years_full_scale" in r:
        lines.append(f"Ten simulated years at full scale: {r['seconds_ten_years_full_scale']:.0f} s"
                     f"; `python -m migrasim scenario=remote50` (1:100, with its baseline): "
                     f"{r['seconds_cli_remote50_1to100']:.1f} s")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--out", default=str(RESULTS / "latest.json"))
    args = parser.parse_args()
    if args.worker:
        spec = json.loads(args.worker)
        print(json.dumps(WORKERS[spec.pop("kind")](**spec)))
        sys.exit(0)
    results = main(args.quick)
    from migrasim.experiments.files import atomic_write  # not before: workers time imports

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, lambda p: Path(p).write_text(json.dumps(results, indent=2) + "\n"))
    print(table(results))
