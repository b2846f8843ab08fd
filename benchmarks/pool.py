"""A month's step alone and inside an ensemble's worker pool, on this machine.

    python benchmarks/pool.py              # 1:100, metropolitan France (~3 min on 2 cores)
    python benchmarks/pool.py --scale 0.002

Measures the median step time of ``remote50`` months (after a warm-up month) in a fresh
process with two numba threads and with one, then in two joblib (loky) workers running
at the same time with one thread each, as ``Ensemble(workers=2)`` runs them
(experiments/launch.py: ``NUMBA_NUM_THREADS`` set by joblib, ``OMP_WAIT_POLICY=passive``
and ``numba.set_num_threads`` in the job). Prints the step times and the runs an hour each
way gives. docs/ensembles.md quotes the result.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time


def steps(scale: float, months: int, threads: int | None = None) -> dict:
    """Median step time (s) of ``months`` months after a warm-up month, and the threads."""
    if threads is not None:
        from migrasim.experiments.launch import limit_threads

        limit_threads(threads)
    import numba

    from migrasim import MigrationModel

    model = MigrationModel("remote50", scale=scale, months=months + 1, collect=False,
                           overrides=["start=2021-10"])
    model.step()  # warm-up: compiled kernels load, the year turns
    times = []
    while model.running:
        t0 = time.perf_counter()
        model.step()
        times.append(time.perf_counter() - t0)
    times.sort()
    return {"step_s": times[len(times) // 2], "threads": numba.get_num_threads(),
            "layer": numba.threading_layer()}


def alone(scale: float, months: int, threads: int) -> dict:
    code = (f"import json, sys; sys.path.insert(0, {os.path.dirname(__file__)!r}); "
            f"import pool; print(json.dumps(pool.steps({scale}, {months})))")
    env = {**os.environ, "NUMBA_NUM_THREADS": str(threads)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def pooled(scale: float, months: int, workers: int) -> list[dict]:
    from joblib import Parallel, delayed, parallel_config

    threads = max(1, (os.cpu_count() or 1) // workers)
    with parallel_config(backend="loky", n_jobs=workers, inner_max_num_threads=threads):
        return Parallel()(delayed(steps)(scale, months, threads) for _ in range(workers))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.01)
    parser.add_argument("--months", type=int, default=6)
    args = parser.parse_args()
    rows = {"alone, 2 threads": [alone(args.scale, args.months, 2)],
            "alone, 1 thread": [alone(args.scale, args.months, 1)],
            "2 workers × 1 thread, together": pooled(args.scale, args.months, 2)}
    print(f"scale {args.scale}, {args.months} months, load average {os.getloadavg()[0]:.1f}")
    for label, results in rows.items():
        step = max(r["step_s"] for r in results)
        runs = len(results) * 3600 / step  # step-bound runs of one month an hour
        print(f"  {label:32s} step {step:.3f} s ({results[0]['layer']}, "
              f"{results[0]['threads']} thread(s)); {runs:,.0f} run-months an hour")


if __name__ == "__main__":
    main()
