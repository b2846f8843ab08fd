"""Benchmarks of the fast path against the plain-Mesa reference, on this machine.

    python benchmarks/run.py            # everything (~25 min on 2 cores)
    python benchmarks/run.py --quick    # small sizes, a short comparison, no study (~8 min)

Every measurement runs in a fresh subprocess (so peak memory is its own), on the
``remote50`` scenario (step timings from October 2019, so they cross a new year) with
territory constants fitted as in a real run, with ``NUMBA_NUM_THREADS=2`` unless a
one-thread run is named. Every timing is the median of at least ``REPEATS`` repeats
(months after a warm-up month, or fresh processes), written with its ``_min``, ``_max``
and ``_repeats``; two exceptions are one run each (``_repeats`` 1): ten simulated years at
full scale, with the spread of its 120 months beside it, and the default comparison of
throughput.py (20 runs). The speedup against the
Mesa reference (one ``mesa.Agent`` per household, reference.py) is measured on the same
months from the same initial state, and the two are checked to end in the same state;
so is the speedup against the numpy-per-agent Mesa model (``MesaNumpyReference``: the
baseline a competent Mesa user writes), whole step against whole step, with the fast
path's counter-based draws and with Mesa's own ``self.random``.
``slowdown_with_competing_process`` is contention.py's figure at 1:100, with migrasim's
default passive wait and with active waiting; throughput.py adds calibration trials and
compared runs an hour. Prints a table and writes ``benchmarks/results/latest.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import contention  # benchmarks/, the script's directory
import throughput
from timing import record

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
FULL = "full_scale"
TWO = {"NUMBA_NUM_THREADS": "2"}
HOUSEHOLDS_1TO1 = 30_979_562  # households of metropolitan France in the shipped data
REPEATS = 5  # design: repeats behind every median (issue 13: ≥ 5, min and max recorded)
CONTENTION_SCALE = 0.01  # design: 1:100 France, the README's run (~0.07 s a month alone)


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


# ------------------------------------------------------------------------ workers
def _build(size: str, months: int, sampled: int | None = None):
    """The benchmarked model (from October 2019: the timed months cross a new year, when
    household types are compacted) and the seconds its construction took."""
    from migrasim.model import MigrationModel

    overrides = ["start=2019-10"]
    if sampled is not None:
        overrides.append(f"model.choice.sampling.alternatives={sampled}")
    t0 = time.perf_counter()
    m = MigrationModel("remote50", scale=_scale(size), months=months, collect=False,
                       overrides=overrides)
    return m, time.perf_counter() - t0


def work_init(size: str) -> dict:
    """Seconds to build the model in a fresh process (imports excluded)."""
    return {"init_s": _build(size, 2)[1]}


def work_fast(size: str, steps: int, sampled: int | None = None) -> dict:
    """Init time; per timed month: seconds per step, per choice and per decision pass,
    movers and utility evaluations per second of the choice; peak memory, household
    types in use, final digest."""
    m, init = _build(size, steps + 1, sampled)
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

    j = len(m.territories)
    return {"households": len(m.households), "alternatives": j, "init_s": init,
            "step_s": step_s, "choice_s": choice_s[1:], "decision_s": decide_s[1:],
            "movers": movers[1:],
            # utility evaluations per second of each timed month's choice (gather, sort
            # and draws of the choice kernel included)
            "evaluations_per_s": [n * j / c for n, c in zip(movers[1:], choice_s[1:], strict=True)],
            "types": int((np.bincount(m.types.id) > 0).sum()), "rss_mb": _rss_mb(),
            "digest": _digest(m)}


def work_reference(size: str, steps: int) -> dict:
    """Seconds per month step of the Mesa reference and of the fast path on the same
    months from the same state, and whether they end in the same state (every
    household's home, job and profile; vacancies; prices and rents within 1e-4)."""

    from migrasim.model import MigrationModel
    from migrasim.reference import MesaReference

    warm = MigrationModel("remote50", scale=_scale("10000"), months=1, collect=False)
    warm.step()  # load the cached kernels before timing
    m = MigrationModel("remote50", scale=_scale(size), months=steps, collect=False)
    t0 = time.perf_counter()
    ref = MesaReference(m)
    build = time.perf_counter() - t0
    ref_s, fast_s = _lockstep(m, ref, steps)
    return {"households": len(m.households), "build_s": build, "reference_step_s": ref_s,
            "fast_step_s": fast_s, "same_state": _same_state(m, ref)}


def _same_state(m, ref) -> bool:
    """Whether the fast model ``m`` and the Mesa model ``ref`` are in the same state: every
    household's home, job and profile, vacancies; prices and rents within 1e-4."""
    import numpy as np

    hh, market = m.households, m.submodels.market
    return bool(all(np.array_equal(getattr(hh, k), [getattr(a, k) for a in ref.households])
                    for k in ("home", "job", "profile"))
                and np.array_equal(m.stock.vacant, ref.vacant)
                and np.allclose(market.price, ref.price, rtol=1e-4)
                and np.allclose(market.rent, ref.rent, rtol=1e-4))


def _lockstep(m, ref, months: int, after=None) -> tuple[list[float], list[float]]:
    """Seconds of each of ``months`` steps of ``ref`` then ``m``; ``after()`` (not timed)
    follows each pair."""
    ref_s, fast_s = [], []
    for _ in range(months):
        t = time.perf_counter()
        ref.step()
        ref_s.append(time.perf_counter() - t)
        t = time.perf_counter()
        m.step()
        fast_s.append(time.perf_counter() - t)
        if after is not None:
            after()
    return ref_s, fast_s


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


def work_reference_numpy(size: str, steps: int, draws: str = "counter") -> dict:
    """Seconds per month step of ``steps`` months after a warm-up month of the
    numpy-per-agent Mesa model (``draws``: the fast path's counter-based draws, or Mesa's
    own ``self.random``) and of the fast path on the same months from the same state,
    its build time, and with counter-based draws whether they end in the same state (as
    ``work_reference``) and, if not, where they parted first."""

    from migrasim.model import MigrationModel
    from migrasim.reference import MesaNumpyReference

    warm = MigrationModel("remote50", scale=_scale("10000"), months=1, collect=False)
    warm.step()  # load the cached kernels before timing
    m = MigrationModel("remote50", scale=_scale(size), months=steps + 1, collect=False,
                       overrides=["start=2019-10"])  # the months of work_fast
    t0 = time.perf_counter()
    ref = MesaNumpyReference(m, draws=draws)
    build = time.perf_counter() - t0
    difference = None

    def compare() -> None:  # where the two first part, with the same draws
        nonlocal difference
        if draws == "counter":
            difference = difference or _first_difference(m, ref)

    ref_s, fast_s = _lockstep(m, ref, steps + 1, compare)  # the first month warms both up
    same = draws == "counter" and _same_state(m, ref)
    return {"households": len(m.households), "build_s": build, "reference_step_s": ref_s[1:],
            "fast_step_s": fast_s[1:], "same_state": bool(same),
            "first_difference": difference, "rss_mb": _rss_mb()}


def work_startup() -> dict:
    """Import, 10^4-household model and its first month, from process start."""
    t0 = time.perf_counter()
    from migrasim.model import MigrationModel

    m = MigrationModel("remote50", scale=_scale("10000"), months=2, collect=False)
    m.step()
    return {"startup_s": time.perf_counter() - t0}


def work_years(years: int) -> dict:
    """Wall time of ``years`` simulated years at full scale, model construction included,
    and each month's step time."""
    from migrasim.model import MigrationModel

    t0 = time.perf_counter()
    m = MigrationModel("remote50", scale=1.0, months=12 * years, collect=False)
    step_s = []
    while m.running:
        t = time.perf_counter()
        m.step()
        step_s.append(time.perf_counter() - t)
    return {"seconds": time.perf_counter() - t0, "step_s": step_s, "rss_mb": _rss_mb()}


WORKERS = {"fast": work_fast, "init": work_init, "reference": work_reference,
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
    steps = REPEATS  # timed months per process, after a warm-up month
    ref_sizes = ["10000"] if quick else ["10000", "50000", "100000"]
    r: dict = {"machine": f"{platform.processor() or platform.machine()}, "
                          f"{os.cpu_count()} cores, Python {platform.python_version()}",
               "quick": quick, "date": time.strftime("%Y-%m-%d %H:%M")}

    cold, warm = [], []
    for _ in range(REPEATS):  # compile time: a cold cache each time, then warm ones
        with tempfile.TemporaryDirectory() as cache:
            env = {"NUMBA_CACHE_DIR": cache, **TWO}
            cold.append(spawn("startup", env)["startup_s"])
            warm.append(spawn("startup", env)["startup_s"])
    record(r, "startup_seconds_cold_cache", cold)
    record(r, "startup_seconds_warm_cache", warm)
    # each repeat's cold start less the warm start from the cache it filled
    record(r, "compile_seconds", [c - w for c, w in zip(cold, warm, strict=True)])
    spawn("startup", TWO)  # compile into the default cache: init times below exclude it

    for size in sizes:
        f = spawn("fast", TWO, size=size, steps=steps)
        one = spawn("fast", {"NUMBA_NUM_THREADS": "1"}, size=size, steps=steps)
        inits = [f["init_s"]] + [spawn("init", TWO, size=size)["init_s"]
                                 for _ in range(REPEATS - 1)]  # fresh processes
        r[f"households_{size}"] = f["households"]
        record(r, f"seconds_per_step_{size}", f["step_s"])
        record(r, f"seconds_per_step_one_thread_{size}", one["step_s"])
        record(r, f"choice_seconds_per_step_{size}", f["choice_s"])
        record(r, f"choice_seconds_per_step_one_thread_{size}", one["choice_s"])
        record(r, f"decision_seconds_per_step_{size}", f["decision_s"])
        r[f"movers_per_step_{size}"] = statistics.median(f["movers"])
        record(r, f"evaluations_per_second_{size}", f["evaluations_per_s"])
        record(r, f"evaluations_per_second_one_thread_{size}", one["evaluations_per_s"])
        record(r, f"init_seconds_{size}", inits)
        r[f"household_types_in_use_{size}"] = f["types"]
        r[f"peak_rss_mb_{size}"] = f["rss_mb"]
        r[f"threads_1_and_2_identical_{size}"] = f["digest"] == one["digest"]
    r["alternatives"] = f["alternatives"]

    for size in ref_sizes:
        ref = spawn("reference", TWO, size=size, steps=REPEATS)
        record(r, f"reference_seconds_per_step_{size}", ref["reference_step_s"])
        record(r, f"fast_seconds_per_step_same_months_{size}", ref["fast_step_s"])
        r[f"speedup_vs_mesa_{size}"] = (r[f"reference_seconds_per_step_{size}"]
                                        / r[f"fast_seconds_per_step_same_months_{size}"])
        r[f"reference_same_final_state_{size}"] = ref["same_state"]

    for size in ["10000", "100000"] if quick else ["10000", "100000", "1000000"]:
        for draws, tag in (("counter", ""), ("mesa", "_mesa_draws")):
            npy = spawn("reference_numpy", TWO, size=size, steps=REPEATS, draws=draws)
            mesa_s = record(r, f"mesa_numpy{tag}_seconds_per_step_{size}",
                            npy["reference_step_s"])
            fast_s = record(r, f"fast_seconds_per_step_same_months_numpy{tag}_{size}",
                            npy["fast_step_s"])
            r[f"mesa_numpy{tag}_build_seconds_{size}"] = npy["build_s"]
            r[f"speedup_vs_mesa_numpy{tag}_{size}"] = mesa_s / fast_s
            if draws == "counter":  # the same draws: the same state, or where it parts
                r[f"mesa_numpy_same_final_state_{size}"] = npy["same_state"]
                r[f"mesa_numpy_first_difference_{size}"] = npy["first_difference"]

    big = sizes[-1]
    s = spawn("fast", TWO, size=big, steps=steps, sampled=16)
    record(r, f"choice_seconds_per_step_sampled16_{big}", s["choice_s"])
    r[f"choice_speedup_sampled16_{big}"] = (r[f"choice_seconds_per_step_{big}"]
                                           / r[f"choice_seconds_per_step_sampled16_{big}"])

    contended(r, CONTENTION_SCALE)
    r.update(throughput.measure(quick))

    if not quick:  # ten years at full scale take ~5 min: one run, its months' spread
        y = spawn("years", TWO, years=10)
        record(r, "seconds_ten_years_full_scale", [y["seconds"]])
        record(r, "seconds_per_step_ten_years_full_scale", y["step_s"])
        record(r, "seconds_cli_remote50_1to100", [cli_run() for _ in range(REPEATS)])
    return r


def contended(r: dict, scale: float) -> None:
    """contention.py's step times alone and beside a CPU-bound process (fresh processes),
    with migrasim's default wait policy (passive) and with active waiting."""
    r["contention_households"] = round(HOUSEHOLDS_1TO1 * scale)
    for suffix, env in (("", {}), ("_active_wait", {"OMP_WAIT_POLICY": "active"})):
        times = contention.measure(scale, REPEATS * 2, {**TWO, **env})
        alone = record(r, f"contention_seconds_per_step_alone{suffix}", times["alone"])
        loaded = record(r, f"contention_seconds_per_step_with_competing_process{suffix}",
                        times["loaded"])
        r[f"slowdown_with_competing_process{suffix}"] = loaded / alone


def _range(r: dict, key: str, fmt: str = ".3f") -> str:
    """``median [min–max]`` of a recorded timing."""
    return f"{r[key]:{fmt}} [{r[f'{key}_min']:{fmt}}–{r[f'{key}_max']:{fmt}}]"


def table(r: dict) -> str:
    sizes = [k.removeprefix("households_") for k in r if k.startswith("households_")]
    lines = [f"migrasim benchmarks — {r['machine']} — {r['date']}",
             f"(medians of {REPEATS} repeats or more, [min–max]; the machine's other load "
             f"shows in the spread)", "",
             "| households | movers/month | s/step | s/step 1 thread | choice s | decision s | "
             "evals/s (M) | ns/eval/thread (2 thr) | ns/eval 1 thread | init s | "
             "peak RSS MB | threads 1=2 |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for size in sizes:
        ev = r[f"evaluations_per_second_{size}"]
        lines.append(
            f"| {r[f'households_{size}']:,} | {r[f'movers_per_step_{size}']:,.0f} "
            f"| {_range(r, f'seconds_per_step_{size}')} "
            f"| {_range(r, f'seconds_per_step_one_thread_{size}')} "
            f"| {_range(r, f'choice_seconds_per_step_{size}')} "
            f"| {_range(r, f'decision_seconds_per_step_{size}')} | {ev / 1e6:,.0f} "
            f"| {2e9 / ev:.2f} | {1e9 / r[f'evaluations_per_second_one_thread_{size}']:.2f} "
            f"| {_range(r, f'init_seconds_{size}', '.1f')} "
            f"| {r[f'peak_rss_mb_{size}']:,.0f} | {r[f'threads_1_and_2_identical_{size}']} |")
    lines.append("")
    for k in [k for k in r if k.startswith("speedup_vs_mesa_") and "numpy" not in k]:
        size = k.removeprefix("speedup_vs_mesa_")
        lines.append(f"Mesa reference at {size} households: "
                     f"{_range(r, f'reference_seconds_per_step_{size}', '.2f')} s/step vs "
                     f"{_range(r, f'fast_seconds_per_step_same_months_{size}', '.4f')} "
                     f"s/step → {r[k]:.0f}× faster; same final state: "
                     f"{r[f'reference_same_final_state_{size}']}")
    for k in [k for k in r if k.startswith("speedup_vs_mesa_numpy_")]:
        tag = "_mesa_draws" if "_mesa_draws_" in k else ""
        size = k.removeprefix(f"speedup_vs_mesa_numpy{tag}_")
        how = "Mesa's self.random" if tag else "the fast path's draws"
        line = (f"Mesa-numpy model ({how}) at {size} households: "
                f"{_range(r, f'mesa_numpy{tag}_seconds_per_step_{size}')} s/step vs "
                f"{_range(r, f'fast_seconds_per_step_same_months_numpy{tag}_{size}', '.4f')}"
                f" s/step → {r[k]:.0f}× faster; build "
                f"{r[f'mesa_numpy{tag}_build_seconds_{size}']:.1f} s")
        if not tag:
            line += f"; same final state: {r[f'mesa_numpy_same_final_state_{size}']}"
        lines.append(line)
        if not tag and r[f"mesa_numpy_first_difference_{size}"]:
            lines.append(f"  first difference: {r[f'mesa_numpy_first_difference_{size}']}")
    for k in [k for k in r if k.startswith("choice_speedup_sampled16_")]:
        lines.append(f"Sampled alternatives (home + 16 nearest + 16 drawn) at "
                     f"{k.removeprefix('choice_speedup_sampled16_')}: choice "
                     f"{r[k]:.2f}× the speed of the full choice set")
    lines.append(f"Start-up (import + 10^4 model + first month): cold cache "
                 f"{_range(r, 'startup_seconds_cold_cache', '.1f')} s, warm cache "
                 f"{_range(r, 'startup_seconds_warm_cache', '.1f')} s")
    for suffix, how in (("", "passive wait, the default"), ("_active_wait", "active wait")):
        lines.append(f"Beside a CPU-bound process ({r['contention_households']:,} households,"
                     f" {how}): step "
                     f"{_range(r, f'contention_seconds_per_step_alone{suffix}')} s alone, "
                     f"{_range(r, f'contention_seconds_per_step_with_competing_process{suffix}')}"
                     f" s with it → slowdown ×{r[f'slowdown_with_competing_process{suffix}']:.2f}")
    lines += throughput.lines(r)
    if "seconds_ten_years_full_scale" in r:
        lines.append(f"Ten simulated years at full scale (one run): "
                     f"{r['seconds_ten_years_full_scale']:.0f} s, months "
                     f"{_range(r, 'seconds_per_step_ten_years_full_scale')} s; "
                     f"`python -m migrasim scenario=remote50` (1:100, with its baseline): "
                     f"{_range(r, 'seconds_cli_remote50_1to100', '.1f')} s")
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
