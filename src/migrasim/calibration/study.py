"""One evaluation, the loss, and the optuna study that several workers share.

An evaluation runs ``settings.scenario`` (``covid``: the path 2019-2021 took) against its
baseline for each seed — same seeds in every trial, so two trials differ by their
parameters, not by their draws (common random numbers) — and computes every target's
moment. The loss is the sum of squared errors in tolerance units of the mean over seeds
(a Gaussian log-likelihood up to a constant).

The sampler is optuna's TPE (multivariate, with the constant liar): the objective is a
noisy simulation of a dozen bounded parameters, trials finish out of order on several
workers, and TPE proposes from the whole history at once, where CMA-ES would wait for
generations and needs more evaluations than a study affords. Workers share the study
through its storage (SQLite by default, any optuna database URL, or ``journal:PATH`` for
optuna's journal file, which suits network file systems and needs no server), so a study
interrupted and restarted goes on from its stored trials, and SLURM jobs join it the same
way local processes do.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
from optuna.storages.journal import JournalFileBackend, JournalStorage
from tqdm import tqdm

from migrasim.calibration import moments, space
from migrasim.calibration.targets import Target
from migrasim.errors import ConfigError
from migrasim.experiments.simulation import Simulation

DONE = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)


@dataclass
class Settings:
    """What a trial runs: scenario (with its baseline), scale, months from 2019-01, the
    seeds of every trial, extra overrides for every run."""

    scenario: str = "covid"
    scale: float = 0.002
    months: int = 36
    seeds: Sequence[int] = (1, 2, 3)
    overrides: Sequence[str] = field(default_factory=tuple)


def run(values: Mapping[str, float], params: list[space.Parameter], settings: Settings,
        seed: int, names: Sequence[str]) -> dict[str, float]:
    """Every target's moment for one seed at parameter ``values``."""
    extra = [*settings.overrides, "start=2019-01", "progress=false", "figures=false"]
    changes = space.overrides(values, params, settings.scenario, extra)
    res = Simulation(settings.scenario, scale=settings.scale, months=settings.months,
                     seed=seed, overrides=[*extra, *changes]).run(progress=False)
    return moments.compute(res, names)


def evaluate(values: Mapping[str, float], params: list[space.Parameter],
             settings: Settings, names: Sequence[str]) -> pd.DataFrame:
    """Moments per seed (rows) and target (columns)."""
    rows = [run(values, params, settings, s, names) for s in settings.seeds]
    return pd.DataFrame(rows, index=pd.Index(list(settings.seeds), name="seed"))[list(names)]


def loss(sims: pd.DataFrame, targets: Sequence[Target]) -> float:
    """Σ ((mean over seeds − observed) / tolerance)² over ``targets``."""
    return float(sum(((sims[t.name].mean() - t.value) / t.tolerance) ** 2 for t in targets))


class Objective:
    """The optuna objective: suggest, evaluate over the seeds, score. A trial that fails
    (a value the config refuses, a non-finite moment) is pruned with its reason stored in
    the trial's ``failed`` attribute, not scored."""

    def __init__(self, params: list[space.Parameter], settings: Settings,
                 targets: Sequence[Target], fitted_on: Sequence[str] | None = None):
        self.params, self.settings, self.targets = params, settings, list(targets)
        self.names = [t.name for t in self.targets]
        self.scored = [t for t in self.targets if fitted_on is None or t.name in fitted_on]

    def suggest(self, trial: optuna.Trial) -> dict[str, float]:
        return {p.name: trial.suggest_float(p.name, p.low, p.high, log=p.log)
                for p in self.params}

    def __call__(self, trial: optuna.Trial) -> float:
        values = self.suggest(trial)
        try:
            sims = evaluate(values, self.params, self.settings, self.names)
        except (ConfigError, ValueError, FloatingPointError, ZeroDivisionError,
                MemoryError) as err:
            reason = f"{type(err).__name__}: {err}".splitlines()[0]
            trial.set_user_attr("failed", reason)
            raise optuna.TrialPruned(reason) from None
        trial.set_user_attr("moments", {k: [float(x) for x in v] for k, v in sims.items()})
        bad = [n for n in self.names if not np.isfinite(sims[n]).all()]
        if bad:
            reason = f"non-finite moment(s) {bad}"
            trial.set_user_attr("failed", reason)
            raise optuna.TrialPruned(reason)
        return loss(sims, self.scored)


def storage(url: str | None, directory: Path) -> optuna.storages.BaseStorage:
    """The study's storage: by default optuna's journal file ``directory/journal.log``
    (several processes append to it safely, no server; also ``journal:PATH``), or any
    optuna database URL (database storages keep a heartbeat, so the trials of a killed
    worker are marked failed and run again; SQLite locks under several writers and
    readers: use it for one worker)."""
    if not url or url.startswith("journal:"):
        path = Path(url.removeprefix("journal:")) if url else directory / "journal.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        return JournalStorage(JournalFileBackend(str(path)))
    retry = optuna.storages.RetryFailedTrialCallback(max_retry=1)
    return optuna.storages.RDBStorage(url, heartbeat_interval=30, grace_period=90,
                                      failed_trial_callback=retry)


def fail_stale(study: optuna.Study, minutes: float) -> int:
    """Mark failed the trials left running longer than ``minutes`` (a killed worker's,
    in a storage without heartbeat); they are not counted and their place is run again."""
    now = dt.datetime.now()
    stale = [t for t in study.get_trials(deepcopy=False,
                                         states=(optuna.trial.TrialState.RUNNING,))
             if t.datetime_start and (now - t.datetime_start).total_seconds() > 60 * minutes]
    for t in stale:
        study._storage.set_trial_state_values(t._trial_id, optuna.trial.TrialState.FAIL)
    return len(stale)


def open_study(name: str, store: optuna.storages.BaseStorage, seed: int) -> optuna.Study:
    """Create the study, or load it if it exists (resume)."""
    sampler = optuna.samplers.TPESampler(seed=seed, multivariate=True, constant_liar=True,
                                         n_startup_trials=20)
    return optuna.create_study(study_name=name, storage=store, sampler=sampler,
                               direction="minimize", load_if_exists=True)


def finished(study: optuna.Study) -> int:
    """Trials done (complete or pruned): what ``n_trials`` counts."""
    return len(study.get_trials(deepcopy=False, states=DONE))


def work(study: optuna.Study, objective: Objective, n_trials: int) -> None:
    """Run trials until the study holds ``n_trials`` finished ones (every worker stops
    there, whoever ran them)."""
    stop = optuna.study.MaxTrialsCallback(n_trials, states=DONE)
    fail_stale(study, minutes=30)
    if finished(study) < n_trials:
        study.optimize(objective, callbacks=[stop], catch=())


def spawn(argv: Sequence[str], workers: int, threads: int) -> list[subprocess.Popen]:
    """``workers`` worker processes of the command line ``argv`` (worker=i appended),
    each with ``threads`` numba threads that wait passively (so that workers sharing the
    cores do not spin against each other)."""
    env = dict(os.environ, NUMBA_NUM_THREADS=str(threads), OMP_WAIT_POLICY="passive",
               OMP_NUM_THREADS=str(threads))
    return [subprocess.Popen([sys.executable, "-m", "migrasim.calibrate", *argv,
                              f"worker={i}"], env=env) for i in range(workers)]


def watch(study: optuna.Study, procs: list[subprocess.Popen], n_trials: int,
          every: float = 2.0) -> int:
    """Show the study's progress while the workers run; the first non-zero exit code."""
    with tqdm(total=n_trials, initial=min(finished(study), n_trials), unit="trial",
              desc=study.study_name) as bar:
        while any(p.poll() is None for p in procs):
            time.sleep(every)
            bar.update(min(finished(study), n_trials) - bar.n)
            best = best_value(study)
            if best is not None:
                bar.set_postfix(best=f"{best:.3g}")
        bar.update(min(finished(study), n_trials) - bar.n)
    return next((p.returncode for p in procs if p.returncode), 0)


def best_value(study: optuna.Study) -> float | None:
    """The study's best loss, or None before its first finished trial."""
    try:
        return study.best_value
    except ValueError:
        return None


def trials_table(study: optuna.Study) -> pd.DataFrame:
    """One row per trial: number, state, loss, parameters, failure reason, seconds."""
    rows = []
    for t in study.get_trials(deepcopy=False):
        seconds = ((t.datetime_complete - t.datetime_start).total_seconds()
                   if t.datetime_complete and t.datetime_start else math.nan)
        rows.append({"number": t.number, "state": t.state.name, "loss": t.value,
                     **t.params, "failed": t.user_attrs.get("failed"), "seconds": seconds})
    return pd.DataFrame(rows)
