"""Checkpoints and interrupts: a long run survives a kill and stops cleanly on Ctrl-C.

A checkpoint is the whole state of a ``Simulation`` (its config and study area, the phase
running, the comparison model or its results, the scenario model) pickled into
``<run dir>/checkpoint.pkl``, written whole or not at all (``atomic_write``): a kill
during the write leaves the previous checkpoint in place. Models pickle and reload to
continue bit-identically, so a resumed run ends with the same results as one never
stopped. SIGINT and SIGTERM only set a flag (a Python exception raised inside a numba
kernel would end in a ``SystemError``); the run looks at it between months.
"""

from __future__ import annotations

import pickle
import signal
import threading
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

from migrasim.experiments.files import atomic_write

if TYPE_CHECKING:
    from migrasim.experiments.results import Results
    from migrasim.experiments.simulation import Simulation
    from migrasim.model import MigrationModel

FILE = "checkpoint.pkl"
FORMAT = 2  # design: raised whenever what a checkpoint holds changes (2: ageing's
#            crossing table, household types' buffers)
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class CheckpointError(ValueError):
    """No checkpoint to resume from, or one this version of migrasim cannot read."""


class Interrupted(KeyboardInterrupt):
    """A run stopped by SIGINT or SIGTERM at a month boundary; the message says where,
    and how to resume. A ``KeyboardInterrupt``, so a notebook's Ctrl-C works as usual."""

    def __init__(self, signum: int, message: str):
        self.signum = signum
        super().__init__(message)

    @property
    def exit_code(self) -> int:
        """The shell's code for a process ended by the signal: 130, 143."""
        return 128 + self.signum


@dataclass
class State:
    """What a checkpoint holds: ``phase`` is ``"base"`` while the comparison model
    (``base``) runs, then ``"model"`` (``base`` is then its ``Results``, or None); the
    scenario's ``model`` is built when the comparison's is done."""

    simulation: Simulation
    phase: str
    base: MigrationModel | Results | None
    model: MigrationModel | None  # built when the comparison run is done

    @property
    def total(self) -> int:
        """Months of the whole simulation, the comparison run's and the scenario's."""
        return self.simulation.config.months * (2 if self.base is not None else 1)

    @property
    def done(self) -> int:
        """Months simulated so far, across both runs."""
        if self.phase == "base":
            return self.base.month - self.base.start_month
        first = self.simulation.config.months if self.base is not None else 0
        return first + self.model.month - self.model.start_month


def save(directory: str | Path, state: State) -> Path:
    """Write ``state`` to ``directory/checkpoint.pkl``, replacing the previous one at once.
    A header (format, package version) comes first, so a foreign checkpoint is refused
    before its objects are unpickled."""
    path = Path(directory) / FILE
    path.parent.mkdir(parents=True, exist_ok=True)

    def write(tmp: str) -> None:
        with open(tmp, "wb") as f:
            pickle.dump(_header(), f, protocol=5)
            pickle.dump(state, f, protocol=5)

    atomic_write(path, write)
    return path


def load(directory: str | Path) -> State:
    """The state saved in ``directory``; temporary files left by a write killed midway
    are removed. ``CheckpointError`` (one line) when there is none or it is foreign."""
    path = Path(directory) / FILE
    if not path.is_file():
        raise CheckpointError(f"{directory}: no {FILE} to resume from (the run finished, or "
                              "ran without checkpoint.every)")
    for tmp in path.parent.glob(f".{FILE}.*.tmp"):
        tmp.unlink(missing_ok=True)
    with open(path, "rb") as f:
        try:
            header = pickle.load(f)
        except Exception:  # noqa: BLE001 - any unreadable start is the same refusal
            header = None
        if header != _header():
            found = header if isinstance(header, dict) else {}
            raise CheckpointError(
                f"{path}: written by migrasim {found.get('version', '?')} (checkpoint "
                f"format {found.get('format', '?')}); this is migrasim "
                f"{_header()['version']} (format {FORMAT}): run again instead of resuming")
        return pickle.load(f)


def _header() -> dict:
    return {"format": FORMAT, "version": version("migrasim")}


def remove(directory: str | Path) -> None:
    """Drop the checkpoint of a run whose results are saved."""
    (Path(directory) / FILE).unlink(missing_ok=True)


class Signals:
    """While active, SIGINT and SIGTERM set ``received`` instead of raising; the previous
    handlers come back on exit (and get a signal not acted on). Outside the main thread
    (where handlers cannot be set) it does nothing."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._previous: dict[int, object] = {}

    def _note(self, signum: int, _frame) -> None:
        self.received = signum

    def __enter__(self) -> Signals:
        if threading.current_thread() is threading.main_thread():
            for sig in SIGNALS:
                self._previous[sig] = signal.signal(sig, self._note)
        return self

    def __exit__(self, exc_type, *_exc) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        if self.received is not None and exc_type is None:
            signal.raise_signal(self.received)  # came after the last month: not lost
