"""A planner's one-page report on a group of territories:
``python -m migrasim.report group=petr_haut_rouergue scenarios=[remote50,haut_rouergue_accueil]
reference=remote50 seeds=10``.

It runs the comparison (``python -m migrasim.compare``, with the group as the target of
every scenario) or reads a saved one (``ensemble=<its directory>``), then writes
``report.md`` (and ``report.pdf`` with ``pdf=true``) and its figures into the hydra run
directory (``outputs/report/...``): arrivals and departures by profile, newcomers still
there after 1, 3 and 5 years, price and rent paths with bands, displacement of precarious
locals, effects next door, the policies' cost and cost per retained newcomer, for each
scenario against the reference. Every other override is a setting of every run, as for
``python -m migrasim`` (``scale``, ``months``, ``territory.*``...).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from migrasim.__main__ import HYDRA_FLAGS
from migrasim.compare import ensemble, override_key
from migrasim.config import CONFIG_DIR, compose
from migrasim.errors import ConfigError, TerritoryDataError
from migrasim.experiments.ensemble import Ensemble
from migrasim.experiments.files import atomic_write

OWN = ("group", "ensemble", "pdf")


def prepare(cfg: DictConfig, overrides: list[str], folder: Path | None = None) -> Ensemble:
    """The checked ensemble to report on: a saved one (``ensemble=``), whose target must
    be the group, or a new one targeting the group."""
    group = cfg.group
    if not isinstance(group, str) or group not in cfg.territory.groups:
        raise ConfigError("group", group, f"a group of territory.groups "
                          f"{sorted(cfg.territory.groups)}")
    if not isinstance(cfg.pdf, bool):
        raise ConfigError("pdf", cfg.pdf, "true or false")
    if cfg.ensemble is not None:
        try:
            ens = Ensemble.load(cfg.ensemble)
        except FileNotFoundError:
            raise ConfigError("ensemble", cfg.ensemble, "the directory of a finished "
                              "comparison (python -m migrasim.compare)") from None
        codes = sorted(str(c) for c in cfg.territory.groups[group])
        for name, areas in ens.areas.items():
            if sorted(areas.get("target") or []) != codes:
                raise ConfigError("ensemble", cfg.ensemble, f"a comparison whose target is "
                                  f"the group {group!r} (its {name!r} targets other EPCI: "
                                  f"rerun it with target={group})")
        return ens
    mine = [a for a in overrides if override_key(a) not in OWN and override_key(a) != "target"]
    cfg.target = group
    return ensemble(cfg, [*mine, f"target={group}"], folder)


def preflight(arguments: list[str]) -> Ensemble:
    overrides = [a for a in arguments if not a.startswith("-")
                 and not a.lstrip("+~").startswith(("hydra.", "hydra/"))]
    return prepare(compose(overrides, config_name="report"), overrides)


def write(ens: Ensemble, out: Path, group: str, pdf: bool = False) -> Path:
    """Write ``report.md``, its figures and (``pdf``) ``report.pdf`` into ``out``."""
    from migrasim.observation import band_figures, planner_report  # matplotlib

    out.mkdir(parents=True, exist_ok=True)
    (out / "report.md").unlink(missing_ok=True)  # written last: present means complete
    figures = planner_report.figures(ens)
    for name, fig in figures.items():
        atomic_write(out / f"{name}.png", lambda p, f=fig: f.savefig(p, dpi=110, format="png"))
    text = planner_report.markdown(ens, group, [f"{name}.png" for name in figures])
    if pdf:
        atomic_write(out / "report.pdf",
                     lambda p: planner_report.pdf(p, text, list(figures.values())))
    for fig in figures.values():
        band_figures.close(fig)
    atomic_write(out / "report.md", lambda p: Path(p).write_text(text, "utf-8"))
    return out / "report.md"


def _run(cfg: DictConfig) -> None:
    logging.getLogger("MESA").setLevel(logging.WARNING)
    out = Path(HydraConfig.get().runtime.output_dir)
    overrides = list(HydraConfig.get().overrides.task)
    try:
        ens = prepare(cfg, overrides, out)
    except (ConfigError, TerritoryDataError) as err:
        print(f"migrasim.report: {err}", file=sys.stderr)
        raise SystemExit(2) from None
    if ens.indicators is None:
        ens.run(progress=bool(cfg.progress), directory=out if cfg.runs else None, keep=False)
        ens.save(out / "comparison", figures=False, runs=False)
    path = write(ens, out, cfg.group, cfg.pdf)
    print(f"migrasim.report: {cfg.group}, {', '.join(ens.scenarios)} against "
          f"{ens.reference} over {len(ens.seeds)} seeds: {path}")


def main() -> None:
    arguments = sys.argv[1:]
    if not any(a.split("=")[0] in HYDRA_FLAGS for a in arguments):
        try:
            preflight(arguments)
        except (ConfigError, TerritoryDataError) as err:
            print(f"migrasim.report: {err}", file=sys.stderr)
            raise SystemExit(2) from None
    hydra.main(config_path=str(CONFIG_DIR), config_name="report", version_base="1.3")(_run)()


if __name__ == "__main__":
    main()
