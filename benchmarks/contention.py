"""Step time alone and while one other process runs a CPU-bound loop on the same cores,
for numba's threading set-ups: ``python benchmarks/contention.py [scale] [repeats]``.

Each set-up runs in a fresh process (the OpenMP wait policy and numba's threading layer
are read when numba starts its threads). Per set-up: the median, min and max of
``repeats`` monthly steps alone, then with the competing loop, and their ratio
``slowdown_with_competing_process`` (issue 13's figure; target ≤ 2.2).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from timing import spread  # benchmarks/, the script's directory

SETUPS = {"libgomp active (OMP_WAIT_POLICY=active)": {"OMP_WAIT_POLICY": "active"},
          "libgomp passive (migrasim's default)": {"OMP_WAIT_POLICY": "passive"},
          "workqueue": {"NUMBA_THREADING_LAYER": "workqueue"}}

WORKER = """
import json, subprocess, sys, time
from migrasim import MigrationModel
scale, repeats = float(sys.argv[1]), int(sys.argv[2])
m = MigrationModel("remote50", scale=scale, months=3 + 2 * repeats, collect=False)
for _ in range(3):
    m.step()
def steps():
    out = []
    for _ in range(repeats):
        t = time.perf_counter(); m.step(); out.append(time.perf_counter() - t)
    return out
alone = steps()
hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
time.sleep(0.5)
try:
    loaded = steps()
finally:
    hog.kill()
print(json.dumps({"alone": alone, "loaded": loaded}))
"""


def measure(scale: float, repeats: int, env: dict[str, str]) -> dict[str, list[float]]:
    """Step times (s) alone and with the competing loop, in a fresh process whose
    environment is this one's with ``env`` in place of its OpenMP wait policy and numba
    threading layer."""
    clean = {k: v for k, v in os.environ.items()
             if k not in ("OMP_WAIT_POLICY", "NUMBA_THREADING_LAYER")}
    out = subprocess.run([sys.executable, "-c", WORKER, str(scale), str(repeats)],
                         env={**clean, **env}, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 0.01
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    results = {}
    for name, env in SETUPS.items():
        t0 = time.perf_counter()
        runs = measure(scale, repeats, env)
        alone, loaded = spread(runs["alone"]), spread(runs["loaded"])
        results[name] = {"alone_s": alone, "loaded_s": loaded,
                         "slowdown_with_competing_process": loaded["median"] / alone["median"],
                         "wall_s": time.perf_counter() - t0}
        ratio = results[name]["slowdown_with_competing_process"]
        print(f"{name}: alone {alone['median']:.3f} s [{alone['min']:.3f}, {alone['max']:.3f}]"
              f", with a competing process {loaded['median']:.3f} s [{loaded['min']:.3f}, "
              f"{loaded['max']:.3f}], slowdown ×{ratio:.2f}", flush=True)
    print(json.dumps({"scale": scale, "repeats": repeats, "setups": results}, indent=1))


if __name__ == "__main__":
    main()
