"""Command line: ``python -m migrasim scenario=remote50 [key=value ...]`` (hydra).

Results go to the hydra run directory under ``outputs/``. ``--multirun`` sweeps, e.g.
``python -m migrasim --multirun scenario=baseline,remote50 seed=1,2
hydra/launcher=joblib``. Every job's config, study area and policies are checked before
any job starts: a bad value exits with code 2 and one line naming the key, the value and
what is allowed. With ``checkpoint.every=N`` the run saves its state in its directory every
N months; ``python -m migrasim resume=<run dir>`` continues it there. Ctrl-C or SIGTERM
ends with one line and exit code 130 or 143. A run whose state breaks a runtime invariant
(observation/invariants.py) exits with code 3 and one line naming it, the EPCI and the
month, and writes no results.
"""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Iterable
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig

from migrasim.config import CONFIG_DIR, jobs, load, validate
from migrasim.config.command_line import check_arguments
from migrasim.errors import ConfigError, InvariantError, TerritoryDataError
from migrasim.experiments import Results, Simulation, checkpoint
from migrasim.experiments.checkpoint import CheckpointError, Interrupted
from migrasim.territories import Territories

HYDRA_FLAGS = ("--help", "-h", "--hydra-help", "--version", "--cfg", "-c", "--info", "-i",
               "--shell-completion", "-sc", "--resolve", "--package", "-p")


def preflight(arguments: Iterable[str]) -> int:
    """Check every job of the command line as ``Simulation`` does (config, comparison,
    study area, policies' territories), after the command line's own arguments (each key
    once, hydra's groups, the output directory); returns the number of jobs."""
    check_arguments(arguments, CONFIG_DIR)
    todo = jobs(arguments)
    areas: dict[str, Territories] = {}  # one study area per distinct territory section
    for overrides in todo:
        config = load(overrides)
        key = config.territory.model_dump_json()
        areas[key] = Simulation(config=config, area=areas.get(key)).area
    return len(todo)


def _run(cfg) -> None:
    logging.getLogger("MESA").setLevel(logging.WARNING)  # not one line per step in the log
    out = HydraConfig.get().runtime.output_dir
    try:
        config = validate(cfg)
        res = Simulation(config=config).run(checkpoint_dir=out)
    except (ConfigError, TerritoryDataError) as err:
        print(f"migrasim: {err}", file=sys.stderr)
        raise SystemExit(2) from None
    except InvariantError as err:  # the run went wrong: no results written
        print(f"migrasim: {err}", file=sys.stderr)
        raise SystemExit(3) from None
    _save(res, out)


def resume(directory: str) -> None:
    """Continue the checkpointed run in ``directory`` and save its results there."""
    try:
        res = Simulation.resume(directory)
    except CheckpointError as err:
        print(f"migrasim: {err}", file=sys.stderr)
        raise SystemExit(2) from None
    except InvariantError as err:
        print(f"migrasim: {err}", file=sys.stderr)
        raise SystemExit(3) from None
    _save(res, directory)


def _save(res: Results, directory: str) -> None:
    out = res.save(directory, figures=res.config.figures)
    checkpoint.remove(directory)  # the results are complete: nothing left to resume
    s = res.summary
    print(f"migrasim {s['scenario']}: results in {out}\n"
          f"  moves per year (% of population): {s['moves_per_year_pct_population']}\n"
          f"  within-département share of moves: {s['within_departement_share']:.1%}\n"
          f"  Île-de-France net migration per year: "
          f"{s['idf_net_migration_per_year'] or 'n/a (Île-de-France not in the study area)'}")


OUTSIDE = "outside the simulated months (while setting up or saving); no checkpoint written"


def _terminate(signum: int, _frame) -> None:
    """SIGTERM outside the months (building, saving) stops like Ctrl-C."""
    raise Interrupted(signum, f"SIGTERM {OUTSIDE}")


def main() -> None:
    signal.signal(signal.SIGTERM, _terminate)
    try:
        _main(sys.argv[1:])
    except KeyboardInterrupt as err:  # Ctrl-C, or Interrupted: one line, no traceback
        what = err if isinstance(err, Interrupted) else f"SIGINT {OUTSIDE}"
        print(f"migrasim: {what}", file=sys.stderr)
        raise SystemExit(getattr(err, "exit_code", 130)) from None


def _main(arguments: list[str]) -> None:
    chosen = [a.split("=", 1)[1] for a in arguments if a.startswith("resume=")]
    if chosen:
        if len(arguments) != 1:
            print("migrasim: resume: takes no other argument (the run's config is in its "
                  "checkpoint)", file=sys.stderr)
            raise SystemExit(2)
        resume(str(Path(chosen[0])))
        return
    if not any(a.split("=")[0] in HYDRA_FLAGS for a in arguments):
        try:
            preflight(arguments)
        except (ConfigError, TerritoryDataError) as err:
            print(f"migrasim: {err}", file=sys.stderr)
            raise SystemExit(2) from None
    hydra.main(config_path=str(CONFIG_DIR), config_name="config", version_base="1.3")(_run)()


if __name__ == "__main__":
    main()
