"""Peak memory of a run, known before anything is allocated.

``estimate(config, area)`` is the peak resident memory of ``Simulation(config).run()`` in
bytes: the interpreter and libraries, the study area's tables, the households (every
array, with their growth) and the records, fitted to peaks measured with
``resource.getrusage`` (docs/architecture.md "Memory"). With a comparison run the two
models run one after the other, so the peak is one model's plus the comparison's tables.
``check`` refuses a run whose estimate exceeds the memory available (``memory_check``).
"""

from __future__ import annotations

import os
from pathlib import Path

from migrasim.config import Config
from migrasim.errors import ConfigError
from migrasim.population.households import initial_counts
from migrasim.territories import Territories, with_focus

MB = 2**20
CGROUP = Path("/sys/fs/cgroup")  # cgroup v2: memory.max and memory.current
# Fitted (least squares on relative errors) to the peaks of Simulation(scale, months)
# with its comparison run: whole France (1,232 EPCI, 1,264 sites) at scales 0.002, 0.01,
# 0.05 and 0.1 for 3 months, 0.01 for 24 and 1.0 for 2 (3,913 MiB), three départements
# (38 EPCI, 70 sites) at 0.05 and 1.0; every peak within 2.2 % of the fit
# (docs/architecture.md "Memory"):
FIXED = 301 * MB            # interpreter, numpy, pandas, numba, mesa, compiled kernels
PER_SITE_PAIR = 63          # bytes per EPCI × site: distance, job and choice tables
PER_HOUSEHOLD = 119         # bytes per simulated household: its arrays, the month's
                            # movers, the growth buffer, both runs' flows
PER_EPCI_MONTH = 1160       # bytes per EPCI and month: both runs' records and tables
# measured: household slots (the living, the dissolved and emigrated ones, whose slots
# are not reused, and the 5 % spare of a grow) grow 2.3 % a year (baseline at 1:500,
# 2019-2021: 1.023, 1.047, 1.070 times the initial households)
GROWTH_PER_YEAR = 0.023


def estimate(config: Config, area: Territories) -> int:
    """The run's peak resident memory in bytes (see module docstring)."""
    area = with_focus(area, config.territory)
    households = int(initial_counts(area, config.scale, config.seed).sum())
    years = config.months / 12
    grown = households * (1.0 + GROWTH_PER_YEAR * years)
    return int(FIXED + PER_SITE_PAIR * len(area) * area.n_sites + PER_HOUSEHOLD * grown
               + PER_EPCI_MONTH * len(area) * config.months)


def available() -> tuple[int, str]:
    """Bytes this process may still use, and where the figure comes from: the cgroup's
    limit less its use if there is a limit and it is lower, else the kernel's
    ``MemAvailable`` (free memory and reclaimable caches), else the free pages."""
    free, where = _meminfo_available()
    try:
        limit = (CGROUP / "memory.max").read_text().strip()
        used = int((CGROUP / "memory.current").read_text())
        if limit != "max" and int(limit) - used < free:
            return int(limit) - used, "left under the cgroup limit"
    except (OSError, ValueError):
        pass
    return free, where


def _meminfo_available() -> tuple[int, str]:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024, "available"
    except (OSError, ValueError, IndexError):
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"), "free"


def check(config: Config, area: Territories) -> None:
    """``ConfigError`` on ``memory_check`` if the run's estimated peak exceeds the memory
    available; nothing when ``config.memory_check`` is false."""
    if not config.memory_check:
        return
    need, (have, where) = estimate(config, area), available()
    if need > have:
        raise ConfigError("memory_check", True, "a smaller scale or study area, or "
                          "memory_check=false to run anyway", problem=(
            f"the run needs about {need / 2**30:.1f} GiB at its peak (scale "
            f"{config.scale:g}, {len(area):,} EPCI), {have / 2**30:.1f} GiB {where}"))
