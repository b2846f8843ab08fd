"""Compare scenarios over seeds: ``python -m migrasim.compare scenarios=[a,b] seeds=10``.

Every scenario × seed runs with common random numbers (``migrasim.Ensemble``); the hydra
run directory (``outputs/compare/DATE/TIME``) receives ``comparison.parquet`` (bands by
scenario, indicator, area and year, and the paired differences with the reference),
``comparison_epci.parquet``, ``indicators.parquet`` (every run's yearly indicators), the
figures, ``comparison.md`` and, with ``runs=true``, every run's tables under ``runs/``.

Keys of its own (configs/compare.yaml): ``scenarios``, ``seeds``, ``reference``,
``workers``, ``target``, ``runs`` and the ``launcher`` group (``joblib``,
``submitit_local``, ``submitit_slurm``, with ``launcher.partition=...`` etc.). Every other
override is a setting of every run, as for ``python -m migrasim`` (``scale``, ``months``,
``seed`` — the first seed —, ``territory.*``, ``model.*``). Every run's config, the study
area and the policies' targets are checked before the first run: a bad value exits with
code 2 and one line naming the key, the value and what is allowed.
"""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf
from pydantic import ValidationError

from migrasim.__main__ import HYDRA_FLAGS
from migrasim.config import CONFIG_DIR, compose
from migrasim.errors import ConfigError, TerritoryDataError
from migrasim.experiments.checkpoint import Interrupted
from migrasim.experiments.ensemble import Ensemble
from migrasim.experiments.launch import LAUNCHERS, Launcher
from migrasim.params import Params, Positive, config_error, number, one_of

KEYS = ("scenarios", "seeds", "reference", "workers", "target", "runs", "launcher")


class LauncherOptions(Params):
    """``launcher`` (configs/launcher/NAME.yaml)."""

    name: one_of(LAUNCHERS, "one of the launchers")
    folder: str | None = None
    timeout_min: number(1, 10**6, integer=True) = 120
    mem_gb: Positive = 8.0
    partition: str | None = None
    cpus_per_job: number(1, 1024, integer=True) = 2


def override_key(override: str) -> str:
    """The top-level key an override sets (``+territory.x=1`` → ``territory``)."""
    return override.split("=", 1)[0].lstrip("+~").split(".")[0].split("@")[0]


def ensemble(cfg: DictConfig, overrides: list[str], folder: Path | None = None) -> Ensemble:
    """The checked ensemble of a composed ``compare`` config and its command-line
    overrides (those that are not its own keys go to every run)."""
    try:
        options = LauncherOptions.model_validate(
            OmegaConf.to_container(cfg.launcher, resolve=True))
    except ValidationError as err:
        raise config_error(err, LauncherOptions, "launcher") from None
    if not isinstance(cfg.runs, bool):
        raise ConfigError("runs", cfg.runs, "true or false")
    chosen = options.model_dump()
    if chosen["folder"] is None and folder is not None:
        chosen["folder"] = str(folder / "submitit")
    launcher = Launcher(**chosen, workers=cfg.workers)
    settings = {k: OmegaConf.to_container(cfg[k]) if OmegaConf.is_config(cfg[k]) else cfg[k]
                for k in ("scenarios", "seeds", "target")}
    return Ensemble(settings["scenarios"], settings["seeds"], cfg.reference,
                    overrides=[a for a in overrides if override_key(a) not in KEYS],
                    launcher=launcher, target=settings["target"])


def preflight(arguments: list[str]) -> Ensemble:
    """Check the command line as the run will (every config, the study area, the
    policies' targets)."""
    overrides = [a for a in arguments if not a.startswith("-")
                 and not a.lstrip("+~").startswith(("hydra.", "hydra/"))]
    return ensemble(compose(overrides, config_name="compare"), overrides)


def _run(cfg: DictConfig) -> None:
    logging.getLogger("MESA").setLevel(logging.WARNING)
    out = Path(HydraConfig.get().runtime.output_dir)
    try:
        ens = ensemble(cfg, list(HydraConfig.get().overrides.task), out)
    except (ConfigError, TerritoryDataError) as err:
        print(f"migrasim.compare: {err}", file=sys.stderr)
        raise SystemExit(2) from None
    ens.run(progress=bool(cfg.progress), directory=out if cfg.runs else None, keep=False)
    ens.save(out, figures=bool(cfg.figures), runs=bool(cfg.runs))
    print(f"migrasim.compare: {len(ens.scenarios)} scenarios × {len(ens.seeds)} seeds, "
          f"reference {ens.reference}: results in {out}")
    for note in ens.notes:
        print(f"  note: {note}")


def main() -> None:
    signal.signal(signal.SIGTERM, _terminate)
    try:
        _main(sys.argv[1:])
    except KeyboardInterrupt as err:  # the workers are ended by joblib
        code = getattr(err, "exit_code", 130)
        print(f"migrasim.compare: {signal.Signals(code - 128).name} stopped the comparison; "
              "its results are not complete (run it again)", file=sys.stderr)
        raise SystemExit(code) from None


def _terminate(signum: int, _frame) -> None:
    raise Interrupted(signum, "SIGTERM")


def _main(arguments: list[str]) -> None:
    if not any(a.split("=")[0] in HYDRA_FLAGS for a in arguments):
        try:
            preflight(arguments)
        except (ConfigError, TerritoryDataError) as err:
            print(f"migrasim.compare: {err}", file=sys.stderr)
            raise SystemExit(2) from None
    hydra.main(config_path=str(CONFIG_DIR), config_name="compare", version_base="1.3")(_run)()


if __name__ == "__main__":
    main()
