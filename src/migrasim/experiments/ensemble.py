"""Ensembles: every scenario × seed with common random numbers, reduced to bands (after
Starsim's ``MultiSim`` and Covasim's ``Scenarios``).

    import migrasim
    ens = migrasim.Ensemble(["remote50", "haut_rouergue_accueil"], seeds=10,
                            reference="remote50", scale=0.01, workers=2).run()
    ens.comparison                                   # scenario, indicator, area, year, q10..
    ens.quantiles("price_m2", area="target", paired=True)
    ens.plot("net_migration", area="target", paired=True)
    ens.map("price_m2")                              # median paired difference by EPCI
    ens.results["haut_rouergue_accueil"][0]          # the Results of the first seed
    ens.save("outputs/petr"); ens = migrasim.Ensemble.load("outputs/petr")

Seed s of every scenario holds the same households with the same draws; the reference
scenario runs first for each seed and fits the territory constants, which that seed's
other runs reuse (as ``Simulation`` does), so a paired difference is the scenario's
effect, not noise. Areas: ``national``, ``target`` and ``neighbours``
(observation/areas.py); indicators: observation/yearly.py; bands: observation/bands.py.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from migrasim.config import Config, load, validate
from migrasim.errors import ConfigError
from migrasim.experiments import files, manifest
from migrasim.experiments.focus import apply_overrides, focus_overrides
from migrasim.experiments.launch import Job, Launcher, Outcome, execute
from migrasim.experiments.results import Results
from migrasim.observation import bands
from migrasim.observation.areas import NEIGHBOUR_RADIUS_KM, comparison_areas, focus_codes
from migrasim.territories import Territories, study_area

log = logging.getLogger(__name__)
MANAGED = ("scenario", "compare_to")  # set by the ensemble for each run


class Ensemble:
    """Scenarios × seeds. ``seeds``: a number of seeds (from the config's ``seed``, 1 by
    default, up) or a list; ``reference``: the scenario every other is paired with (run
    even if not listed); ``overrides``, ``scale``, ``months``: every run's config, as for
    ``Simulation``; ``workers``: runs at a time (None: the cores), each with
    ``cores // workers`` numba threads; ``launcher``: ``joblib``, ``submitit_local``,
    ``submitit_slurm`` or a :class:`~migrasim.experiments.launch.Launcher`; ``target``:
    a group or EPCI codes replacing every scenario's target area; ``radius_km``: the
    neighbours' radius. Every config, the study area and the policies' targets are
    checked here, before any run (``ConfigError``)."""

    def __init__(self, scenarios: Sequence[str] = ("baseline", "remote50"),
                 seeds: int | Sequence[int] = 10, reference: str = "baseline", *,
                 overrides: Iterable[str] = (), scale: float | None = None,
                 months: int | None = None, workers: int | None = None,
                 launcher: str | Launcher = "joblib", target: str | list[str] | None = None,
                 radius_km: float = NEIGHBOUR_RADIUS_KM):
        names = _names(scenarios, reference)
        overrides = _overrides(overrides)
        _radius(radius_km)
        given = [f"{k}={v}" for k, v in (("scale", scale), ("months", months)) if v is not None]
        common = [*overrides, *given, "compare_to=null", "progress=false"]
        configs = {name: load([*common, f"scenario={name}"]) for name in names}
        first = configs[reference]
        focus = focus_overrides([c.scenario for c in configs.values()], first.territory.groups)
        self.configs = {name: apply_overrides(c, focus) for name, c in configs.items()}
        self.reference, self.seeds = reference, _seeds(seeds, first.seed)
        self.launcher = launcher if isinstance(launcher, Launcher) else Launcher(launcher)
        if workers is not None:
            self.launcher = Launcher(**{**vars(self.launcher), "workers": workers})
        self._area = study_area(self.configs[reference].territory)
        codes = None if target is None else _target(target, self._area)
        self.areas = comparison_areas({n: c.scenario for n, c in self.configs.items()},
                                      self._area, radius_km, codes)
        self.indicators: pd.DataFrame | None = None
        self.epci: pd.DataFrame | None = None
        self.notes: list[str] = []
        self._runs: dict[str, list[Results]] | None = None
        self._runs_dir: Path | None = None

    # ------------------------------------------------------------------ running
    @property
    def scenarios(self) -> list[str]:
        return list(self.configs)

    @property
    def area(self) -> Territories:
        if self._area is None:
            self._area = study_area(self.configs[self.reference].territory)
        return self._area

    def config(self, scenario: str, seed: int) -> Config:
        """The checked config of one run."""
        return self.configs[scenario].model_copy(update={"seed": seed})

    def run(self, progress: bool = True, directory: str | Path | None = None,
            keep: bool = True) -> Ensemble:
        """Run the reference for every seed, then every other scenario with that seed's
        constants. With ``directory``, each run is saved there (``runs/SCENARIO/seedN``)
        by its worker and reopened on demand, so memory holds only the indicators; without
        it, each run's tables are kept in memory, or dropped with ``keep=False``."""
        runs_dir = Path(directory) / "runs" if directory is not None else None

        def job(name: str, seed: int, constants: np.ndarray | None, measured: list[str]) -> Job:
            where = None if runs_dir is None else str(runs_dir / name / f"seed{seed}")
            return Job(self.config(name, seed), constants, self._named(measured),
                       directory=where, tables=keep)

        first = execute([job(self.reference, s, None, self.scenarios) for s in self.seeds],
                        self.launcher, progress, f"{self.reference} (reference)")
        constants = {o.seed: o.constants for o in first}
        others = [n for n in self.scenarios if n != self.reference]
        rest = execute([job(n, s, constants[s], [n]) for n in others for s in self.seeds],
                       self.launcher, progress, "scenarios")
        self._collect([*first, *rest], runs_dir)
        return self

    def _named(self, scenarios: list[str]) -> dict[str, dict[str, list[str] | None]]:
        out = {}
        for name in scenarios:
            areas = {"national": None}
            areas.update((k, v) for k, v in self.areas[name].items() if v)
            out[name] = areas
        return out

    def _collect(self, outcomes: list[Outcome], runs_dir: Path | None) -> None:
        self.indicators = pd.concat(
            [o.indicators.assign(scenario=o.scenario, seed=o.seed) for o in outcomes],
            ignore_index=True)[["scenario", "seed", "for_scenario", "area", "indicator",
                                "year", "value"]]
        self.epci = pd.concat([o.epci.assign(scenario=o.scenario, seed=o.seed)
                               for o in outcomes], ignore_index=True)
        missing = sorted({m for o in outcomes for m in o.missing})
        self.notes = [f"skipped {', '.join(missing)}: not in these runs' tables"] \
            if missing else []
        for note in self.notes:
            log.info("ensemble: %s", note)
        self._runs_dir, self._runs = runs_dir, None
        if runs_dir is None and all(o.results is not None for o in outcomes):
            by = {(o.scenario, o.seed): o.results for o in outcomes}
            self._runs = {n: [by[n, s] for s in self.seeds] for n in self.scenarios}
            self._link(self._runs)
        for name in ("comparison", "comparison_epci"):
            self.__dict__.pop(name, None)

    def _link(self, runs: dict[str, list[Results]]) -> None:
        for name, results in runs.items():
            for i, res in enumerate(results):
                res._area = self.area
                if name != self.reference:
                    res.baseline = runs[self.reference][i]
                    for measured in ("destabilisation", "summary"):  # now against it
                        res.__dict__.pop(measured, None)

    @property
    def results(self) -> dict[str, list[Results]]:
        """Each scenario's runs, in seed order (read from disk the first time when the
        runs were saved by their workers)."""
        if self._runs is None:
            if self._runs_dir is None or not self._runs_dir.exists():
                raise FileNotFoundError("no runs: run() the ensemble first (it ran with "
                                        "keep=False, or was saved without its runs)")
            self._runs = {n: [Results.load(self._runs_dir / n / f"seed{s}")
                              for s in self.seeds] for n in self.scenarios}
            self._link(self._runs)
        return self._runs

    # ------------------------------------------------------------------ reading
    @cached_property
    def comparison(self) -> pd.DataFrame:
        """Scenario, indicator, area, year; quantiles over seeds of the level (q10, q50,
        q90) and of the paired difference with the reference (diff_q10..diff_q90, NaN for
        the reference itself). Written as ``comparison.parquet``."""
        return bands.comparison(self._ran(), self.reference)

    @cached_property
    def comparison_epci(self) -> pd.DataFrame:
        """By scenario, EPCI and end-of-run indicator (yearly.run_end): the median over
        seeds and the quantiles of the paired difference."""
        return bands.by_epci(self.epci, self.scenarios, self.reference)

    def quantiles(self, indicator: str | None = None, area: str | None = None,
                  paired: bool = False, statistic: str = "runs") -> pd.DataFrame:
        """Bands by scenario and year. ``statistic="runs"``: the quantiles of the runs
        (q10, q50, q90; of the paired differences with ``paired``); ``"mean"``: the mean
        over seeds and its 10-90 % band by bootstrap over seeds (mean, low, high), which
        narrows as seeds are added."""
        if statistic not in ("runs", "mean"):
            raise ConfigError("statistic", statistic, "'runs' or 'mean'")
        if statistic == "runs":
            table = self.comparison
            if paired:
                table = table[table["scenario"] != self.reference].drop(
                    columns=list(bands.NAMES)).rename(
                    columns={f"diff_{q}": q for q in bands.NAMES})
            else:
                table = table.drop(columns=[f"diff_{q}" for q in bands.NAMES])
            return _select(table, indicator, area).reset_index(drop=True)
        table = bands.mean_bands(self._ran(), self.scenarios, self.reference, paired)
        return _select(table, indicator, area).reset_index(drop=True)

    def plot(self, indicator: str | Sequence[str] = "price_m2", area: str = "national",
             paired: bool = False):
        """Median and 10-90 % band by scenario over the years (the paired differences
        with the reference with ``paired``); one panel per indicator."""
        from migrasim.observation import band_figures

        names = [indicator] if isinstance(indicator, str) else list(indicator)
        return band_figures.series(self.comparison, names, area, paired, self.reference)

    def map(self, indicator: str = "price_m2", scenario: str | None = None):
        """Map of the median paired difference by EPCI at the end of the run."""
        from migrasim.observation import band_figures

        scenario = scenario or next((n for n in self.scenarios if n != self.reference),
                                    self.reference)
        return band_figures.difference_map(self.comparison_epci, self.area, scenario,
                                           indicator, self.reference)

    def figures(self) -> dict:
        """The figures ``save`` writes, by file name."""
        from migrasim.observation import band_figures

        return band_figures.all_figures(self)

    def _ran(self) -> pd.DataFrame:
        if self.indicators is None:
            raise RuntimeError("the ensemble has not run: call run() first")
        return self.indicators

    def __repr__(self) -> str:
        c = self.configs[self.reference]
        state = "not run" if self.indicators is None else "ran"
        return (f"Ensemble({self.scenarios}, seeds {self.seeds[0]}..{self.seeds[-1]} "
                f"({len(self.seeds)}), reference {self.reference!r}, scale {c.scale:g}, "
                f"{c.months} months, {state})")

    # ------------------------------------------------------------------ files
    def save(self, directory: str | Path, figures: bool = True, runs: bool = True) -> Path:
        """Write the settings, configs, per-run indicators, ``comparison.parquet``,
        ``comparison_epci.parquet``, ``comparison.md``, the figures and (``runs``) every
        run's tables into ``directory`` (each run with its own manifest); an earlier save's
        files not rewritten are removed and ``manifest.json`` comes last, as for a run
        (experiments/manifest.py)."""
        from migrasim.observation import band_figures

        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        earlier = manifest.begin(out)
        written: list[str] = []

        def write(path: Path, how) -> None:
            files.atomic_write(path, how)
            written.append(str(path.relative_to(out)))

        (out / "configs").mkdir(exist_ok=True)
        for name, config in self.configs.items():
            write(out / "configs" / f"{name}.yaml", lambda p, c=config: Path(p)
                         .write_text(yaml.safe_dump(c.model_dump(by_alias=True),
                                                    sort_keys=False, allow_unicode=True)))
        tables = {"indicators": self._ran(), "epci": self.epci,
                  "comparison": self.comparison, "comparison_epci": self.comparison_epci}
        for name, frame in tables.items():
            write(out / f"{name}.parquet",
                         lambda p, f=frame: f.to_parquet(p, index=False))
        runs_dir = self._runs_dir
        if runs and runs_dir is None and self._runs is not None:
            runs_dir = out / "runs"
            for name, results in self._runs.items():
                for seed, res in zip(self.seeds, results, strict=True):
                    res.save(runs_dir / name / f"seed{seed}", figures=False)
        if figures:
            for name, fig in self.figures().items():
                write(out / f"{name}.png",
                             lambda p, f=fig: f.savefig(p, dpi=110, format="png"))
                band_figures.close(fig)
        write(out / "comparison.md",
                     lambda p: Path(p).write_text(band_figures.report(self), "utf-8"))
        where = None if runs_dir is None else (
            str(runs_dir.relative_to(out)) if runs_dir.is_relative_to(out) else str(runs_dir))
        meta = {"scenarios": self.scenarios, "reference": self.reference,
                "seeds": self.seeds, "areas": self.areas, "notes": self.notes, "runs": where}
        write(out / "ensemble.json",
                     lambda p: Path(p).write_text(json.dumps(meta, indent=1), "utf-8"))
        manifest.finish(out, written, stale=earlier | {p.name for p in out.glob("*.png")})
        return out

    @classmethod
    def load(cls, directory: str | Path) -> Ensemble:
        """Reopen an ensemble saved by :meth:`save` (its runs are read on demand)."""
        d = Path(directory)
        manifest.check(d, "migrasim ensemble")
        meta = json.loads((d / "ensemble.json").read_text("utf-8"))
        ens = cls.__new__(cls)
        ens.configs = {n: validate(yaml.safe_load((d / "configs" / f"{n}.yaml").read_text(
            "utf-8"))) for n in meta["scenarios"]}
        ens.reference, ens.seeds = meta["reference"], list(meta["seeds"])
        ens.areas, ens.notes = meta["areas"], meta["notes"]
        ens.launcher, ens._area, ens._runs = Launcher(), None, None
        ens.indicators = pd.read_parquet(d / "indicators.parquet")
        ens.epci = pd.read_parquet(d / "epci.parquet")
        ens._runs_dir = None if meta["runs"] is None else d / meta["runs"]
        ens.comparison = pd.read_parquet(d / "comparison.parquet")
        ens.comparison_epci = pd.read_parquet(d / "comparison_epci.parquet")
        return ens


def _names(scenarios: Sequence[str], reference: str) -> list[str]:
    if isinstance(scenarios, str) or not isinstance(scenarios, Sequence) or not scenarios:
        raise ConfigError("scenarios", scenarios, "a non-empty list of scenario names")
    if not isinstance(reference, str):
        raise ConfigError("reference", reference, "a scenario name")
    return list(dict.fromkeys([reference, *scenarios]))


def _overrides(overrides: Iterable[str]) -> list[str]:
    if isinstance(overrides, str) or not isinstance(overrides, Iterable):
        raise ConfigError("overrides", overrides, "a list of hydra overrides")
    overrides = list(overrides)
    for o in overrides:
        if str(o).split("=", 1)[0].lstrip("+~") in MANAGED:
            raise ConfigError("overrides", o, "other keys: the ensemble sets the scenario "
                              "and compare_to of each run (scenarios=, reference=)")
    return overrides


def _radius(radius_km: float) -> None:
    ok = (isinstance(radius_km, int | float) and not isinstance(radius_km, bool)
          and 0 < radius_km < float("inf"))
    if not ok:
        raise ConfigError("radius_km", radius_km, "a positive finite number of kilometres")


def _seeds(seeds: int | Sequence[int], first: int) -> list[int]:
    if isinstance(seeds, int) and not isinstance(seeds, bool):
        if seeds < 1:
            raise ConfigError("seeds", seeds, "a number of seeds ≥ 1 or a list of seeds")
        return list(range(first, first + seeds))
    ok = (isinstance(seeds, Sequence) and not isinstance(seeds, str) and seeds
          and all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in seeds)
          and len(set(seeds)) == len(seeds))
    if not ok:
        raise ConfigError("seeds", seeds, "a number of seeds ≥ 1 or a list of distinct "
                          "integer seeds ≥ 0")
    return list(seeds)


def _target(target: str | list[str], area: Territories) -> list[str]:
    if isinstance(target, str) and target not in area.groups:
        raise ConfigError("target", target, f"a group of territory.groups "
                          f"{sorted(area.groups)} or a list of EPCI codes")
    codes = focus_codes(target if isinstance(target, str) else [str(c) for c in target], area)
    if not codes:
        raise ConfigError("target", target, "EPCI codes of the study area")
    return codes


def _select(table: pd.DataFrame, indicator: str | None, area: str | None) -> pd.DataFrame:
    if indicator is not None:
        table = table[table["indicator"] == indicator]
    if area is not None:
        table = table[table["area"] == area]
    return table
