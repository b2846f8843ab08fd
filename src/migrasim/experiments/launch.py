"""Running the runs of an ensemble: in this process, in local worker processes (joblib's
loky backend) or as submitit jobs (local processes, or SLURM on a cluster).

A job is one scenario and one seed (:class:`Job`); it returns its yearly indicators and
end-of-run values by EPCI, and, when it is not written to disk, its tables — never the
model (:class:`Outcome`). Each worker gets ``threads = max(1, cores // workers)`` numba
threads: joblib sets ``NUMBA_NUM_THREADS`` (and OpenMP's) in the workers' environment
before they start, and the job itself sets ``OMP_WAIT_POLICY=passive`` before numba's
OpenMP pool first starts in its process (so that workers sharing the cores do not spin
against each other) and calls ``numba.set_num_threads``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numba
import numpy as np
import pandas as pd
from joblib import Parallel, delayed, parallel_config
from tqdm import tqdm

from migrasim.config import Config
from migrasim.errors import ConfigError
from migrasim.experiments.results import Results
from migrasim.model import MigrationModel
from migrasim.observation import yearly
from migrasim.territories import Territories, study_area

LAUNCHERS = ("joblib", "submitit_local", "submitit_slurm")


@dataclass
class Job:
    """One run: its checked config, the territory constants to reuse (None: fit them),
    the areas to measure (``{for_scenario: {area: codes or None}}``), the numba threads,
    the directory to save it in, and whether to return its tables (when not saved)."""

    config: Config
    constants: np.ndarray | None
    areas: dict[str, dict[str, list[str] | None]]
    threads: int = 0  # 0: leave the process's threads as they are
    directory: str | None = None
    tables: bool = True


@dataclass
class Outcome:
    scenario: str
    seed: int
    indicators: pd.DataFrame  # for_scenario, area, indicator, year, value
    epci: pd.DataFrame        # epci and the end-of-run columns of yearly.run_end
    constants: np.ndarray
    missing: list[str] = field(default_factory=list)
    results: Results | None = None  # tables only (no study area), when not saved


@dataclass
class Launcher:
    """Where jobs run: ``name`` one of LAUNCHERS; ``workers`` at a time (None: the
    cores); submitit's ``folder`` (logs and pickles), ``timeout_min``, ``mem_gb``, and
    on SLURM ``partition`` and ``cpus_per_job``."""

    name: str = "joblib"
    workers: int | None = None
    folder: str | None = None
    timeout_min: int = 120
    mem_gb: float = 8.0
    partition: str | None = None
    cpus_per_job: int = 2

    def __post_init__(self):
        if self.name not in LAUNCHERS:
            raise ConfigError("launcher", self.name, f"one of {list(LAUNCHERS)}")
        if self.workers is not None and (isinstance(self.workers, bool)
                                         or not isinstance(self.workers, int)
                                         or self.workers < 1):
            raise ConfigError("workers", self.workers, "null (the cores) or an integer ≥ 1")
        if self.name != "submitit_slurm" and (self.workers or 0) > cores():
            # more local workers than cores would share them: workers × threads ≤ cores
            raise ConfigError("workers", self.workers, f"null (the cores) or 1 to {cores()}, "
                              "the cores of this machine (workers × threads ≤ cores)")

    @property
    def cores(self) -> int:
        return cores()

    def parallel(self, jobs: int) -> int:
        """Jobs running at a time."""
        return max(1, min(jobs, self.workers or self.cores))

    def threads(self, jobs: int) -> int:
        """Numba threads of each job."""
        if self.name == "submitit_slurm":
            return self.cpus_per_job
        return max(1, self.cores // self.parallel(jobs))


def cores() -> int:
    """The cores this process may run on (its CPU affinity): local workers share them."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") \
        else (os.cpu_count() or 1)


_AREAS: dict[str, Territories] = {}  # study areas of this process, by territory section


def run(job: Job) -> Outcome:
    """Run one job (in whatever process calls it)."""
    if job.threads:
        limit_threads(job.threads)
    key = job.config.territory.model_dump_json()
    if key not in _AREAS:
        _AREAS.clear()
        _AREAS[key] = study_area(job.config.territory)
    area = _AREAS[key]
    model = MigrationModel(config=job.config, area=area, constants=job.constants,
                           collect=False)
    while model.running:
        model.step()
    res = Results.from_model(model)
    constants = model.submodels.constants.values
    del model
    indicators = pd.concat([yearly.areas(res, named).assign(for_scenario=name)
                            for name, named in job.areas.items()], ignore_index=True)
    out = Outcome(job.config.scenario.name, job.config.seed, indicators, yearly.run_end(res),
                  constants, yearly.missing(res))
    if job.directory is not None:
        res.save(job.directory, figures=False)
    elif job.tables:
        res._area = None  # the parent has the study area; do not send it back
        out.results = res
    return out


def limit_threads(threads: int) -> None:
    """At most ``threads`` numba threads in this process, waiting passively."""
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")  # read when OpenMP first starts
    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))


def execute(jobs: Sequence[Job], launcher: Launcher, progress: bool = False,
            label: str = "runs") -> list[Outcome]:
    """Every job's outcome, in the jobs' order."""
    if not jobs:
        return []
    workers, threads = launcher.parallel(len(jobs)), launcher.threads(len(jobs))
    bar = tqdm(total=len(jobs), desc=label, unit="run", disable=not progress)
    with bar:
        if launcher.name == "joblib" and workers == 1:
            return [_tick(bar, run(job)) for job in jobs]  # in this process, as it is
        for job in jobs:
            job.threads = threads
        if launcher.name == "joblib":
            return _joblib(jobs, workers, threads, bar)
        return _submitit(jobs, launcher, workers, threads, bar)


def _tick(bar: tqdm, outcome: Outcome) -> Outcome:
    bar.update(1)
    return outcome


def _joblib(jobs: Sequence[Job], workers: int, threads: int, bar: tqdm) -> list[Outcome]:
    with parallel_config(backend="loky", n_jobs=workers, inner_max_num_threads=threads):
        outcomes = Parallel(return_as="generator")(delayed(run)(job) for job in jobs)
        return [_tick(bar, o) for o in outcomes]


def _submitit(jobs: Sequence[Job], launcher: Launcher, workers: int, threads: int,
              bar: tqdm) -> list[Outcome]:
    import submitit  # optional: pip install migrasim[cluster]

    local = launcher.name == "submitit_local"
    folder = Path(launcher.folder or "outputs/submitit") / "%j"
    executor = submitit.AutoExecutor(folder=str(folder), cluster="local" if local else "slurm")
    options = dict(timeout_min=launcher.timeout_min, mem_gb=launcher.mem_gb,
                   cpus_per_task=threads, slurm_array_parallelism=workers, name="migrasim")
    if launcher.partition is not None:
        options["slurm_partition"] = launcher.partition
    executor.update_parameters(**options)
    if not local:  # one SLURM job array; the scheduler keeps `workers` running
        return [_tick(bar, j.result()) for j in executor.map_array(run, list(jobs))]
    return _windowed(jobs, workers, lambda job: executor.submit(run, job), bar)


def _windowed(jobs: Iterable[Job], workers: int, submit: Callable, bar: tqdm) -> list[Outcome]:
    """Local submitit jobs, ``workers`` at a time (the local executor starts every job
    it is given at once)."""
    import submitit

    todo, running, done = list(enumerate(jobs)), {}, {}
    while todo or running:
        while todo and len(running) < workers:
            i, job = todo.pop(0)
            running[submit(job)] = i
        finished = next(submitit.helpers.as_completed(list(running), poll_frequency=0.2))
        done[running.pop(finished)] = _tick(bar, finished.result())
    return [done[i] for i in sorted(done)]
