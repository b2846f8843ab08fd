"""Command line: ``python -m migrasim scenario=remote50 [key=value ...]`` (hydra).

Results go to the hydra run directory under ``outputs/``. ``--multirun`` sweeps, e.g.
``python -m migrasim --multirun scenario=baseline,remote50 seed=1,2
hydra/launcher=joblib``. Every job's config, study area and policies are checked before
any job starts: a bad value exits with code 2 and one line naming the key, the value and
what is allowed.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

import hydra
from hydra.core.hydra_config import HydraConfig

from migrasim.config import CONFIG_DIR, jobs, load, validate
from migrasim.config.command_line import check_arguments
from migrasim.errors import ConfigError, TerritoryDataError
from migrasim.experiments import Simulation
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
    try:
        config = validate(cfg)
        res = Simulation(config=config).run()
    except (ConfigError, TerritoryDataError) as err:
        print(f"migrasim: {err}", file=sys.stderr)
        raise SystemExit(2) from None
    out = res.save(HydraConfig.get().runtime.output_dir, figures=config.figures)
    s = res.summary
    print(f"migrasim {s['scenario']}: results in {out}\n"
          f"  moves per year (% of population): {s['moves_per_year_pct_population']}\n"
          f"  within-département share of moves: {s['within_departement_share']:.1%}\n"
          f"  Île-de-France net migration per year: "
          f"{s['idf_net_migration_per_year'] or 'n/a (Île-de-France not in the study area)'}")


def main() -> None:
    arguments = sys.argv[1:]
    if not any(a.split("=")[0] in HYDRA_FLAGS for a in arguments):
        try:
            preflight(arguments)
        except (ConfigError, TerritoryDataError) as err:
            print(f"migrasim: {err}", file=sys.stderr)
            raise SystemExit(2) from None
    hydra.main(config_path=str(CONFIG_DIR), config_name="config", version_base="1.3")(_run)()


if __name__ == "__main__":
    main()
