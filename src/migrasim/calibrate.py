"""Calibrate migrasim against observed flows: ``python -m migrasim.calibrate study=NAME``.

    python -m migrasim.calibrate study=france n_trials=300 workers=2      # fit, 2 processes
    python -m migrasim.calibrate study=france report=true apply=true      # report, defaults
    python -m migrasim.calibrate study=france sensitivity=true            # Morris screening

Options (key=value): ``study`` (required), ``n_trials`` (finished trials the study
should hold; rerunning resumes), ``workers`` (processes on this machine, at most its
cores, numba threads split between them), ``storage`` (an optuna database URL or
``journal:PATH``; default the journal file ``calibration/results/<study>/journal.log``),
``scenario``, ``scale``, ``months``,
``seeds`` (e.g. ``1,2,3``), ``area`` (départements, e.g. ``12,48``), ``overrides``
(config overrides for every run, separated by ``;``), ``fit`` (target
groups the loss counts, e.g. ``levels``; the others are reported out of sample),
``targets`` and ``space`` (YAML paths),
``launcher=submitit`` with ``jobs``, ``partition``, ``timeout_min``, ``cpus_per_job`` (a
worker per SLURM job), ``report`` (re-run the best trial over ``report_seeds`` seeds and
write the fit report and ``fitted.yaml``), ``apply`` (copy ``fitted.yaml`` into the default
config), ``sensitivity`` (Morris screening, ``trajectories``). docs/calibration.md.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

from migrasim.calibration import report as rep
from migrasim.calibration import sensitivity as sens
from migrasim.calibration import space, study, targets
from migrasim.errors import ConfigError
from migrasim.experiments.files import atomic_write
from migrasim.experiments.launch import cores

OPTIONS = {  # key: (default, type, allowed)
    "study": (None, str, "a study name, e.g. france"),
    "n_trials": (100, int, "a number of trials ≥ 1"),
    "workers": (1, int, "a number of processes ≥ 1"),
    "worker": (None, int, "internal: this process's worker number"),
    "storage": (None, str, "an optuna database URL or journal:PATH"),
    "scenario": ("covid", str, "a scenario name"),
    "scale": (0.002, float, "a scale in (0, 1]"),
    "months": (36, int, "months from 2019-01, at least 36 for the 2021 targets"),
    "seeds": ("1,2,3", str, "comma-separated seeds, e.g. 1,2,3"),
    "area": (None, str, "comma-separated département codes (default: all of France)"),
    "overrides": (None, str, "config overrides for every run, separated by ';'"),
    "fit": ("all", str, "all, or comma-separated target groups (levels, changes)"),
    "targets": (None, str, "a targets YAML file"),
    "space": (None, str, "a parameter-space YAML file"),
    "launcher": ("processes", str, "processes or submitit"),
    "jobs": (4, int, "a number of SLURM jobs ≥ 1"),
    "partition": (None, str, "a SLURM partition"),
    "timeout_min": (240, int, "minutes a SLURM job may run"),
    "cpus_per_job": (1, int, "CPUs per SLURM job"),
    "report": (False, bool, "true or false"),
    "report_seeds": (10, int, "a number of seeds ≥ 1"),
    "apply": (False, bool, "true or false"),
    "sensitivity": (False, bool, "true or false"),
    "trajectories": (8, int, "a number of Morris trajectories ≥ 2"),
    "results": ("calibration/results", str, "a directory"),
}
FITTED = Path(__file__).parent / "configs" / "fitted" / "default.yaml"


def parse(argv: list[str]) -> dict:
    """``key=value`` arguments, typed and checked (one-line ConfigError)."""
    out = {k: d for k, (d, _, _) in OPTIONS.items()}
    for arg in argv:
        key, sep, value = arg.partition("=")
        if not sep or key not in OPTIONS:
            raise ConfigError(arg, arg, f"key=value with a key among {sorted(OPTIONS)}",
                              problem=f"unknown argument {arg!r}")
        _, kind, allowed = OPTIONS[key]
        try:
            if kind is bool:
                if value.lower() not in ("true", "false"):
                    raise ValueError
                out[key] = value.lower() == "true"
            else:
                out[key] = kind(value)
        except ValueError:
            raise ConfigError(key, value, allowed) from None
    if not out["study"]:
        raise ConfigError("study", None, OPTIONS["study"][2], problem="missing")
    for key in ("n_trials", "workers", "jobs", "report_seeds", "cpus_per_job"):
        if out[key] < 1:
            raise ConfigError(key, out[key], OPTIONS[key][2])
    if not 0 < out["scale"] <= 1:
        raise ConfigError("scale", out["scale"], OPTIONS["scale"][2])
    if out["launcher"] not in ("processes", "submitit"):
        raise ConfigError("launcher", out["launcher"], OPTIONS["launcher"][2])
    if out["launcher"] == "processes" and out["workers"] > cores():
        raise ConfigError("workers", out["workers"], f"1 to {cores()}, the cores of this "
                          "machine (each worker gets cores // workers threads)")
    try:
        out["seeds"] = tuple(int(s) for s in str(out["seeds"]).split(","))
    except ValueError:
        raise ConfigError("seeds", out["seeds"], OPTIONS["seeds"][2]) from None
    return out


def _setup(opts: dict):
    params = space.load(opts["space"])
    tlist = targets.load(opts["targets"])
    groups = {t.group for t in tlist}
    fitted_on = None
    if opts["fit"] != "all":
        wanted = opts["fit"].split(",")
        unknown = sorted(set(wanted) - groups)
        if unknown:
            raise ConfigError("fit", opts["fit"], f"all, or groups among {sorted(groups)}")
        fitted_on = [t.name for t in tlist if t.group in wanted]
    extra = ["fitted=none"]
    if opts["area"]:
        codes = ",".join(f'"{c}"' for c in opts["area"].split(","))
        extra.append(f"territory.departements=[{codes}]")
    extra += [o for o in (opts["overrides"] or "").split(";") if o]
    settings = study.Settings(opts["scenario"], opts["scale"], opts["months"], opts["seeds"],
                              tuple(extra))
    directory = Path(opts["results"]) / opts["study"]
    store = study.storage(opts["storage"], directory)
    return params, tlist, fitted_on, settings, directory, store


def _worker_argv(argv: list[str]) -> list[str]:
    return [a for a in argv if a.split("=")[0] not in ("workers", "worker", "launcher",
                                                       "report", "apply", "sensitivity")]


def optimize(opts: dict, argv: list[str]) -> int:
    params, tlist, fitted_on, settings, directory, store = _setup(opts)
    if opts["worker"] is not None:  # one worker of a study
        s = study.open_study(opts["study"], store, seed=1000 + opts["worker"])
        study.work(s, study.Objective(params, settings, tlist, fitted_on), opts["n_trials"])
        return 0
    s = study.open_study(opts["study"], store, seed=1000)
    t0 = time.perf_counter()
    before = study.finished(s)
    if opts["launcher"] == "submitit":
        code = _submitit(opts, argv, s)
    else:
        procs = study.spawn(_worker_argv(argv), opts["workers"],
                            max(1, cores() // opts["workers"]))
        try:
            code = study.watch(s, procs, opts["n_trials"])
        except KeyboardInterrupt:
            for p in procs:
                p.terminate()
            print(f"interrupted: {study.finished(s)} trials stored in {opts['study']}; "
                  "rerun the same command to resume", file=sys.stderr)
            return 130
    ran = study.finished(s) - before
    hours = (time.perf_counter() - t0) / 3600
    table = study.trials_table(s)
    directory.mkdir(parents=True, exist_ok=True)
    table.to_csv(directory / "trials.csv", index=False)
    print(f"{opts['study']}: {study.finished(s)} trials ({ran} now, "
          f"{ran / max(hours, 1e-9):.0f} an hour); best loss {study.best_value(s)}; "
          f"pruned {int((table['state'] == 'PRUNED').sum()) if len(table) else 0}")
    return code


def _submitit(opts: dict, argv: list[str], s) -> int:
    """One worker per SLURM job (submitit's AutoExecutor: local processes without SLURM)."""
    import submitit  # optional: a cluster's launcher

    folder = Path(opts["results"]) / opts["study"] / "submitit"
    executor = submitit.AutoExecutor(folder=str(folder))
    executor.update_parameters(timeout_min=opts["timeout_min"], cpus_per_task=opts["cpus_per_job"],
                               slurm_partition=opts["partition"])
    base = _worker_argv(argv)
    jobs = [executor.submit(_job, [*base, f"worker={i}"], opts["cpus_per_job"])
            for i in range(opts["jobs"])]
    print(f"submitted {len(jobs)} jobs ({jobs[0].job_id} …); logs in {folder}")
    for job in jobs:
        job.result()
    return 0 if study.finished(s) >= opts["n_trials"] else 1


def _job(argv: list[str], threads: int) -> int:
    env = dict(os.environ, NUMBA_NUM_THREADS=str(threads), OMP_WAIT_POLICY="passive")
    return subprocess.run([sys.executable, "-m", "migrasim.calibrate", *argv], env=env,
                          check=True).returncode


def best_values(s) -> tuple[dict, int, float]:
    t = s.best_trial
    return dict(t.params), t.number, t.value


def fitted_yaml(opts: dict, params, values: dict, number: int, loss: float,
                seeds, tlist, fitted_on) -> str:
    """The model keys of the best trial, as a config file with its provenance."""
    model = {p.name: values[p.name] for p in params
             if all(k.startswith("model.") for k in p.keys)}
    lines = space.overrides(model, params, "baseline", ["fitted=none"])
    tree: dict = {}
    for line in lines:
        key, value = line.split("=", 1)
        node = tree
        *path, last = key.split(".")
        for part in path:
            node = node.setdefault(part, {})
        node[last] = float(value)
    fitted = ", ".join(fitted_on) if fitted_on else "all targets"
    head = (f"# @package _global_\n"
            f"# Fitted by `python -m migrasim.calibrate study={opts['study']}` "
            f"(calibration/results/{opts['study']}/fit.md):\n"
            f"# trial {number}, loss {loss:.4g}, seeds {list(seeds)}, scale {opts['scale']}, "
            f"{opts['months']} months from 2019-01, fitted on {fitted};\n"
            f"# written {dt.date.today().isoformat()}. "
            "Values replace configs/model/default.yaml's\n"
            f"# (hand-set: `fitted=none`). The COVID shock's fitted values are in fit.md.\n")
    return head + yaml.safe_dump(tree, sort_keys=True, allow_unicode=True)


def report(opts: dict) -> int:
    params, tlist, fitted_on, settings, directory, store = _setup(opts)
    s = study.open_study(opts["study"], store, seed=1000)
    values, number, loss = best_values(s)
    settings.seeds = tuple(range(1, opts["report_seeds"] + 1))
    t0 = time.perf_counter()
    sims = study.evaluate(values, params, settings, [t.name for t in tlist])
    table = study.trials_table(s)
    done = table[table["state"].isin(["COMPLETE", "PRUNED"])]
    meta = {"study": opts["study"], "trial": number, "loss_at_fit": loss,
            "loss_report_seeds": study.loss(sims, [t for t in tlist
                                                  if fitted_on is None or t.name in fitted_on]),
            "date": dt.date.today().isoformat(), "fit_seeds": list(opts["seeds"]),
            "report_seeds": list(settings.seeds), "scale": opts["scale"],
            "months": opts["months"], "scenario": opts["scenario"],
            "n_trials": int(len(done)), "pruned": int((table["state"] == "PRUNED").sum()),
            "trial_seconds_median": float(done["seconds"].median()) if len(done) else None,
            "sampler": "TPE (multivariate, constant liar)",
            "parameters": values, "report_seconds": time.perf_counter() - t0}
    rep.write(directory, tlist, sims, meta, fitted_on)
    text = fitted_yaml(opts, params, values, number, loss, opts["seeds"], tlist, fitted_on)
    atomic_write(directory / "fitted.yaml", lambda tmp: Path(tmp).write_text(text, "utf-8"))
    print(f"wrote {directory / 'fit.md'}, fit.json, fit.png and fitted.yaml")
    if opts["apply"]:
        shutil.copyfile(directory / "fitted.yaml", FITTED)
        print(f"copied fitted.yaml to {FITTED}")
    return 0


def sensitivity(opts: dict) -> int:
    params, tlist, _, settings, directory, _ = _setup(opts)
    settings.seeds = (opts["seeds"][0],)
    names = [t.name for t in tlist]
    pool = _pool(opts["workers"])

    df = sens.morris(params, _Run(params, settings, names), tlist,
                     trajectories=opts["trajectories"], seed=1,
                     map_fn=pool.map if pool else None)
    sens.write(directory, df)
    print(f"wrote {directory / 'sensitivity.md'}")
    return 0


class _Run:
    """One seed's moments at given values (picklable, for worker processes)."""

    def __init__(self, params, settings, names):
        self.params, self.settings, self.names = params, settings, names

    def __call__(self, values: dict) -> dict:
        return study.run(values, self.params, self.settings, self.settings.seeds[0],
                         self.names)


def _pool(workers: int):
    if workers <= 1:
        return None
    os.environ.update(NUMBA_NUM_THREADS=str(max(1, cores() // workers)),
                      OMP_WAIT_POLICY="passive")
    return mp.get_context("spawn").Pool(workers)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        opts = parse(argv)
        if opts["report"] or opts["apply"]:
            return report(opts)
        if opts["sensitivity"]:
            return sensitivity(opts)
        return optimize(opts, argv)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
