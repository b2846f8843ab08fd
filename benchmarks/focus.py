"""Cost of a focus area: init time, median month time, households and peak memory.

``python benchmarks/focus.py --scale 0.01 --months 6 [--focus petr_haut_rouergue]``
prints one JSON line: wall and CPU seconds (every thread's; less sensitive to other work
on the machine) of the initialisation and of each month. Run one measurement per
process: the peak RSS (``resource.getrusage``) is the process's.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time

from migrasim.model import MigrationModel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.01)
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--focus", default=None, help="a group name of territory.groups")
    parser.add_argument("--focus-scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    overrides = []
    if args.focus:
        overrides += [f"territory.focus={args.focus}", f"territory.focus_scale={args.focus_scale}"]
    t0, c0 = time.perf_counter(), time.process_time()
    model = MigrationModel("baseline", scale=args.scale, months=args.months, seed=args.seed,
                           overrides=overrides, collect=False)
    init, init_cpu = time.perf_counter() - t0, time.process_time() - c0
    months, cpu, units = [], [], 0
    while model.running:
        t, c = time.perf_counter(), time.process_time()
        model.step()
        months.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        units += len(getattr(model.submodels.choice, "units", ()))  # no units before focus
    hh = model.households
    print(json.dumps({
        "scale": args.scale, "focus": args.focus, "focus_scale": args.focus_scale,
        "init_s": round(init, 2), "init_cpu_s": round(init_cpu, 2),
        "month_median_s": round(statistics.median(months), 3),
        "month_median_cpu_s": round(statistics.median(cpu), 3),
        "months_s": [round(m, 3) for m in months], "households": len(hh),
        "alive": hh.count, "units_created": units,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))


if __name__ == "__main__":
    main()
