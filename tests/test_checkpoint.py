"""Checkpoints, resume and signals: a run killed anywhere and resumed ends with the same
bytes as a run never stopped; Ctrl-C and SIGTERM stop with one line and leave no
temporary file."""

import os
import pickle
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from migrasim import Simulation
from migrasim.config import load
from migrasim.errors import ConfigError
from migrasim.experiments import checkpoint
from migrasim.experiments.checkpoint import CheckpointError
from migrasim.model import MigrationModel

RUN = [sys.executable, "-m", "migrasim"]
SMALL = ["territory.departements=[12,48]", "scale=0.01", "months=24", "compare_to=baseline",
         "figures=false", "progress=false"]
EVERY = 5  # months between checkpoints, counted over both runs (48 months)
OUTPUTS = ("territories", "flows", "destabilisation", "cohorts", "costs",
           "baseline_territories", "baseline_flows", "baseline_cohorts", "baseline_costs")

# Runs migrasim's command line in a process that SIGKILLs itself at a chosen point
# (KILL=month:N after month N of the whole simulation; after-save:N once the checkpoint
# of month N is in place; in-save:N halfway through writing it).
KILLER = """
import os, signal, sys
from migrasim.__main__ import main
from migrasim.experiments import checkpoint
from migrasim.model import MigrationModel

point, n = os.environ["KILL"].split(":")
n = int(n)
die = lambda: os.kill(os.getpid(), signal.SIGKILL)
original, save, write = MigrationModel.step, checkpoint.save, checkpoint.atomic_write

def step(model):  # named as the method it replaces: a model pickles its bound step
    original(model)
    base = model.config.scenario.name == "baseline"
    if point == "month" and model.month - model.start_month + (0 if base else 24) == n:
        die()

def saved(directory, state):
    if point == "in-save" and state.done == n:
        def half(path, writer):
            def then_die(tmp):
                writer(tmp)
                os.truncate(tmp, os.path.getsize(tmp) // 2)
                die()
            write(path, then_die)
        checkpoint.atomic_write = half
    out = save(directory, state)
    if point == "after-save" and state.done == n:
        die()
    return out

MigrationModel.step, checkpoint.save = step, saved
sys.argv = ["migrasim", *sys.argv[1:]]
main()
"""


def _start(args, env=None, killer=False):
    command = [sys.executable, "-c", KILLER] if killer else RUN
    return subprocess.Popen([*command, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, **(env or {})})


def _run(args, kill=None):
    proc = _start(args, {"KILL": kill} if kill else None, killer=kill is not None)
    out, err = proc.communicate(timeout=300)
    return proc.returncode, out, err


def _temporaries(directory: Path) -> list[Path]:
    return list(directory.glob("*.tmp"))


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("uninterrupted")
    code, _, err = _run([*SMALL, f"hydra.run.dir={out}"])
    assert code == 0, err
    return out


def test_a_run_killed_again_and_again_and_resumed_gives_the_same_bytes(uninterrupted,
                                                                         tmp_path):
    start = [*SMALL, f"checkpoint.every={EVERY}", f"hydra.run.dir={tmp_path}"]
    resume = [f"resume={tmp_path}"]
    # killed in the comparison run, two months after the checkpoint of month 5
    assert _run(start, kill="month:7")[0] == -signal.SIGKILL
    # resumed from month 5, killed in the scenario's run right after the checkpoint of
    # month 25 (its first month)
    assert _run(resume, kill="after-save:25")[0] == -signal.SIGKILL
    # resumed from 25, killed halfway through writing the checkpoint of month 35: the
    # half-written temporary is beside the checkpoint of month 30, which still loads
    assert _run(resume, kill="in-save:35")[0] == -signal.SIGKILL
    assert len(_temporaries(tmp_path)) == 1
    assert checkpoint.load(tmp_path).done == 30
    # resumed from 30 and killed from outside at a random time once a new checkpoint is in
    # place (the temporary left above is removed when resuming)
    assert not _temporaries(tmp_path)
    before = (tmp_path / checkpoint.FILE).stat().st_mtime_ns
    proc = _start(resume)
    while (tmp_path / checkpoint.FILE).stat().st_mtime_ns == before and proc.poll() is None:
        time.sleep(0.05)
    time.sleep(random.Random(12).uniform(0.0, 0.5))
    proc.kill()
    proc.communicate()
    if (tmp_path / checkpoint.FILE).exists():  # killed before its end (idle: may finish)
        code, out, err = _run(resume)  # and resumed to the end
        assert code == 0, err
        assert f"results in {tmp_path}" in out
    for table in OUTPUTS:
        assert (tmp_path / f"{table}.parquet").read_bytes() == \
            (uninterrupted / f"{table}.parquet").read_bytes(), table
    assert (tmp_path / "summary.json").read_bytes() == \
        (uninterrupted / "summary.json").read_bytes()
    assert not (tmp_path / checkpoint.FILE).exists()  # results saved: nothing to resume
    assert not _temporaries(tmp_path)


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_the_run_with_one_line_and_a_fresh_checkpoint(tmp_path, sig, code):
    proc = _start([*SMALL, f"checkpoint.every={EVERY}", f"hydra.run.dir={tmp_path}"])
    while not (tmp_path / checkpoint.FILE).exists() and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == code
    assert len(err.strip().splitlines()) == 1, err
    # on an idle machine the comparison run may be over when the signal comes
    stopped = re.search(rf"{sig.name} stopped (baseline \(comparison\)|remote50) after "
                        r"month (\d+) of 24", err)
    assert stopped, err
    assert f"resume with `python -m migrasim resume={tmp_path}`" in err
    month = int(stopped.group(2)) + (24 if stopped.group(1) == "remote50" else 0)
    assert checkpoint.load(tmp_path).done == month  # written at the month it stopped
    assert not _temporaries(tmp_path)


def test_a_directory_without_a_checkpoint_is_refused_in_one_line(tmp_path):
    code, _, err = _run([f"resume={tmp_path}"])
    assert code == 2
    assert err == f"migrasim: {tmp_path}: no checkpoint.pkl to resume from (the run " \
                  "finished, or ran without checkpoint.every)\n"


def test_a_checkpoint_of_another_version_is_refused(tmp_path):
    with open(tmp_path / checkpoint.FILE, "wb") as f:
        pickle.dump({"format": checkpoint.FORMAT, "version": "0.0.1"}, f)
    with pytest.raises(CheckpointError, match="written by migrasim 0.0.1"):
        Simulation.resume(tmp_path)


def test_ctrl_c_in_python_raises_keyboard_interrupt_between_months(monkeypatch):
    step = MigrationModel.step

    def interrupted(model):
        step(model)
        signal.raise_signal(signal.SIGINT)  # as if Ctrl-C came during the month

    monkeypatch.setattr(MigrationModel, "step", interrupted)
    sim = Simulation("baseline", scale=0.001, months=3, compare_to=None,
                     overrides=["territory.departements=[12,48]", "progress=false"])
    previous = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt, match="SIGINT stopped baseline after month 1 of 3"):
        sim.run()
    assert signal.getsignal(signal.SIGINT) is previous


@pytest.mark.parametrize("every", [0, -3, 2.5, "monthly"])
def test_checkpoint_every_is_a_number_of_months_or_null(every):
    with pytest.raises(ConfigError, match=r"checkpoint.every: .* allowed: null or an integer"):
        load([f"checkpoint.every={every}"])
