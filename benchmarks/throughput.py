"""How many calibration trials and compared runs this machine does an hour.

    python benchmarks/throughput.py [--quick]     # prints the figures and their JSON

Both are timed through the commands a user types, each in a fresh process, so that a
study (or a cluster) can be sized from them:

- ``python -m migrasim.calibrate`` at its defaults (``covid`` against its baseline, 1:500
  France, 36 months, seeds 1, 2, 3: a trial is six runs), in a throw-away study, with the
  default ``workers=1`` (one process, every core's thread) and with one worker per core
  (one thread each). ``seconds_per_trial`` is the median of the trials' own durations
  (optuna's start and completion times, ``trials.csv``; the command's start-up is not in
  it), and ``trials_per_hour`` = workers × 3,600 / that median.
- ``python -m migrasim.compare`` at its defaults (baseline and remote50, 10 seeds, 1:100
  France, 96 months: 20 runs on ``workers: null``, the cores, one thread each), whole
  command from start to results on disk; ``runs_per_hour`` = runs × 3,600 / its wall
  time. --quick: two seeds, 1:500, 24 months (4 runs), and no calibration study.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from timing import record  # benchmarks/, the script's directory

ROOT = Path(__file__).resolve().parents[1]
REPEATS = 5  # design: trials behind each median (issue 13: ≥ 5), and compare runs in quick
COMPARE_QUICK = ["seeds=2", "scale=0.002", "months=24"]  # design: 4 short runs


def _env() -> dict:
    """This environment without the thread settings the commands choose themselves."""
    return {k: v for k, v in os.environ.items()
            if k not in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS")}


def calibration(workers: int, trials: int) -> dict:
    """Seconds of each finished trial of a throw-away study run by ``workers`` local
    worker processes, and the command's wall time."""
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "migrasim.calibrate", "study=throughput",
                        f"n_trials={trials}", f"workers={workers}", f"results={tmp}"],
                       cwd=ROOT, env=_env(), check=True, capture_output=True)
        wall = time.perf_counter() - t0
        with open(Path(tmp) / "throughput" / "trials.csv", newline="") as f:
            rows = list(csv.DictReader(f))
    seconds = [float(t["seconds"]) for t in rows if t["state"] == "COMPLETE"]
    return {"seconds": seconds, "pruned": sum(t["state"] == "PRUNED" for t in rows),
            "wall": wall}


def compare(arguments: list[str]) -> tuple[float, int]:
    """Wall time of ``python -m migrasim.compare`` with ``arguments``, and its runs (the
    run directories it wrote)."""
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "migrasim.compare", "progress=false",
                        *arguments, f"hydra.run.dir={tmp}/run"],
                       cwd=ROOT, env=_env(), check=True, capture_output=True)
        return time.perf_counter() - t0, len(list(Path(tmp, "run", "runs").glob("*/seed*")))


def measure(quick: bool) -> dict:
    """The throughput keys of latest.json (quick: a smaller comparison, no study)."""
    from migrasim.experiments.launch import cores  # what calibrate and compare split

    r: dict = {"throughput_cores": cores()}
    studies = () if quick else (("", 1), ("_one_worker_per_core", cores()))
    for suffix, workers in studies:  # a study at its defaults takes minutes: full run only
        threads = max(1, cores() // workers)  # as calibrate splits them
        cal = calibration(workers, REPEATS + workers - 1)  # ≥ REPEATS, side by side
        seconds = record(r, f"seconds_per_trial{suffix}", cal["seconds"])
        r[f"trials_per_hour{suffix}"] = workers * 3600 / seconds
        r[f"calibration_workers{suffix}"], r[f"calibration_threads_per_worker{suffix}"] = (
            workers, threads)
        r[f"calibration_pruned_trials{suffix}"] = cal["pruned"]
        r[f"calibration_wall_seconds{suffix}"] = cal["wall"]
    arguments = COMPARE_QUICK if quick else []
    repeats = REPEATS if quick else 1  # a default comparison takes minutes: one, of 20 runs
    timed = [compare(arguments) for _ in range(repeats)]
    seconds = record(r, "compare_seconds", [t for t, _ in timed])
    runs = timed[0][1]
    r["compare_arguments"] = " ".join(arguments) or "(defaults)"
    r["compare_runs"], r["compare_workers"] = runs, min(runs, cores())
    r["runs_per_hour"] = runs * 3600 / seconds
    return r


def lines(r: dict) -> list[str]:
    """The throughput lines of the benchmark table."""
    out = [] if "seconds_per_trial" in r else ["Calibration trials: full run only"]
    for suffix in ("", "_one_worker_per_core") if "seconds_per_trial" in r else ():
        out.append(
            f"Calibration (defaults, {r[f'calibration_workers{suffix}']} worker(s) × "
            f"{r[f'calibration_threads_per_worker{suffix}']} thread(s)): "
            f"{r[f'seconds_per_trial{suffix}']:.1f} s a trial "
            f"[{r[f'seconds_per_trial{suffix}_min']:.1f}–"
            f"{r[f'seconds_per_trial{suffix}_max']:.1f}, "
            f"{r[f'seconds_per_trial{suffix}_repeats']} trials] → "
            f"{r[f'trials_per_hour{suffix}']:,.0f} trials an hour")
    out.append(f"python -m migrasim.compare {r['compare_arguments']}: {r['compare_runs']} runs "
               f"on {r['compare_workers']} workers in {r['compare_seconds']:.0f} s "
               f"[{r['compare_seconds_min']:.0f}–{r['compare_seconds_max']:.0f}, "
               f"{r['compare_seconds_repeats']} repeat(s)] → "
               f"{r['runs_per_hour']:,.0f} runs an hour")
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller comparison")
    results = measure(parser.parse_args().quick)
    print("\n".join(lines(results)))
    print(json.dumps(results, indent=1))
