"""Results of a run: tidy tables, the destabilisation measures and the summary.

    res = migrasim.Simulation(scenario="remote50", scale=0.01).run()
    res.territories, res.flows, res.destabilisation, res.summary
    res.costs, res.cohorts              # policies' spending, newcomers still there
    res.save("outputs/mine")            # Parquet + JSON + YAML + figures, atomically
    res = migrasim.Results.load("outputs/mine")
    res.plot("price_m2", epci="petr_haut_rouergue")     # monthly series, comparison dashed
    res.map("price_m2")                                 # a column on the map
    res.compare(res.baseline).plot("net_migration")     # differences by EPCI and year
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import yaml

from migrasim.config import Config, comparison, validate
from migrasim.experiments import manifest
from migrasim.experiments.files import atomic_write
from migrasim.observation import differences, indicators, maps, yearly
from migrasim.territories import Territories, study_area

if TYPE_CHECKING:
    from migrasim.model import MigrationModel

TABLES = ("territories", "flows", "costs", "cohorts")  # saved for the comparison run too


class Results:
    """Tidy tables of one run, and the run it is compared with (``baseline``), if any:
    ``territories`` (EPCI × month), ``flows`` (yearly moves), ``costs`` (the policies'
    spending by month, EPCI and policy: submodels/levers.py) and ``cohorts`` (households
    still living where they arrived, by EPCI, year and year of arrival:
    observation/records.py)."""

    def __init__(self, config: Config, territories: pd.DataFrame, flows: pd.DataFrame,
                 area: Territories | None = None, baseline: Results | None = None,
                 costs: pd.DataFrame | None = None, cohorts: pd.DataFrame | None = None):
        self.config, self.territories, self.flows = config, territories, flows
        self.costs = costs if costs is not None else pd.DataFrame(
            columns=["month", "epci", "policy", "sheet", "cost_eur"])
        self.cohorts = cohorts if cohorts is not None else pd.DataFrame(
            columns=["year", "epci", "cohort", "households"])
        self.baseline = baseline
        self._area = area

    @classmethod
    def from_model(cls, model: MigrationModel, baseline: Results | None = None) -> Results:
        """The results of a model that has run."""
        records, sub = model.submodels.records, model.submodels
        return cls(model.config, records.territories_table(model), records.flows_table(model),
                   model.territories, baseline,
                   costs=sub.policies.costs if "policies" in sub else None,
                   cohorts=records.cohorts_table(model))

    @property
    def area(self) -> Territories:
        """The study area (reloaded from the config for results read from disk)."""
        if self._area is None:
            self._area = study_area(self.config.territory)
        return self._area

    @cached_property
    def destabilisation(self) -> pd.DataFrame:
        base = self.baseline.territories if self.baseline is not None else None
        destab = indicators.destabilisation(self.territories, base, self.area)
        destab["newcomers_share"] = indicators.newcomers_share(self.flows, self.area)
        return destab

    @cached_property
    def summary(self) -> dict:
        summary = {"scenario": self.config.scenario.name, "seed": self.config.seed,
                   "scale": self.config.scale,
                   **indicators.summary(self.territories, self.flows, self.area,
                                        self.destabilisation)}
        if self.baseline is not None:
            summary["compared_to"] = self.baseline.config.scenario.name
        return summary

    def plot(self, indicator: str = "price_m2", epci=None):
        """A column of the territories table by month, over the study area or the EPCI
        ``epci`` (a code, codes or a group name), the comparison run dashed::

            res.plot("price_m2", epci="petr_haut_rouergue")
        """
        from migrasim.observation import plots

        return plots.series(self, indicator, epci)

    def compare(self, other: Results) -> differences.Differences:
        """This run minus ``other``, by EPCI and year (``.frame``, ``.plot()``,
        ``.map()``)::

            diff = res.compare(res.baseline)
            diff.plot("price_m2", epci="petr_haut_rouergue"); diff.map("net_migration")
        """
        label = f"{self.config.scenario.name} (seed {self.config.seed}) − " \
                f"{other.config.scenario.name} (seed {other.config.seed})"
        return differences.compare(yearly.by_epci(self), yearly.by_epci(other), self.area,
                                   label)

    def map(self, column: str = "price_m2", **options):
        """A column on the map (observation/maps.py ``map``)::

            res.map("price_m2"); res.map("vacancy", month="2020-06")
        """
        return maps.map(self, column, **options)

    def __repr__(self) -> str:
        months = self.territories["month"]
        versus = f" vs {self.baseline.config.scenario.name!r}" if self.baseline else ""
        return (f"Results({self.config.scenario.name!r}{versus}, seed {self.config.seed}, "
                f"scale {self.config.scale:g}, {months.min()}..{months.max()}, "
                f"{self.territories['epci'].nunique():,} EPCI, {len(self.flows):,} flows)")

    def save(self, directory: str | Path, figures: bool = True) -> Path:
        """Write the tables, summary, config and figures into ``directory``.

        Every file is written to a temporary name and renamed into place; the files of an
        earlier run there that this save does not rewrite (its figures when ``figures`` is
        false, its comparison tables) are removed; ``manifest.json``, listing every file
        with its size and checksum, is removed first and written last
        (experiments/manifest.py), so a directory with a valid one is complete.
        """
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        earlier = manifest.begin(out)
        written: list[str] = []

        def write(name: str, how) -> None:
            atomic_write(out / name, how)
            written.append(name)

        write("config.yaml", lambda p: Path(p).write_text(_yaml(self.config)))
        for table in TABLES:
            frame = getattr(self, table)
            write(f"{table}.parquet", lambda p, f=frame: f.to_parquet(p, index=False))
        write("destabilisation.parquet",
              lambda p: self.destabilisation.reset_index().to_parquet(p, index=False))
        if self.baseline is not None:
            for table in TABLES:
                frame = getattr(self.baseline, table)
                write(f"baseline_{table}.parquet",
                      lambda p, f=frame: f.to_parquet(p, index=False))
        if figures:
            from migrasim.observation import plots  # matplotlib only when drawing

            for name, fig in plots.all_figures(self).items():
                write(f"{name}.png", lambda p, f=fig: f.savefig(p, dpi=110, format="png"))
                plots.close(fig)
        write("summary.json", lambda p: Path(p).write_text(
            json.dumps(self.summary, indent=2, ensure_ascii=False)))
        known = {"summary.json", *(f"{prefix}{t}.parquet" for prefix in ("", "baseline_")
                                   for t in TABLES), *(p.name for p in out.glob("*.png"))}
        manifest.finish(out, written, stale=earlier | known)
        return out

    @classmethod
    def load(cls, directory: str | Path) -> Results:
        """Reopen a run saved by :meth:`save`; refused (``IncompleteResultsError``, a
        ``FileNotFoundError``) without a valid ``manifest.json`` or when a file does not
        match it: the run did not finish, or its files changed since."""
        d = Path(directory)
        manifest.check(d)
        config = validate(yaml.safe_load((d / "config.yaml").read_text()))
        res = cls(config, **_tables(d, ""))
        res.summary = json.loads((d / "summary.json").read_text(), object_hook=_years)
        destab = pd.read_parquet(d / "destabilisation.parquet")
        res.destabilisation = destab.set_index(destab.columns[0])
        other = res.summary.get("compared_to")
        if other is not None:
            res.baseline = cls(comparison(config, other), **_tables(d, "baseline_"))
        return res


def _tables(directory: Path, prefix: str) -> dict[str, pd.DataFrame]:
    """The saved tables; costs and cohorts may be missing (runs saved before them)."""
    return {t: pd.read_parquet(directory / f"{prefix}{t}.parquet") for t in TABLES
            if t in ("territories", "flows") or (directory / f"{prefix}{t}.parquet").exists()}


def _years(table: dict) -> dict:
    """JSON keys by year (four digits; région codes have two) back to integers, as in the
    summary of a run."""
    return {int(k) if len(k) == 4 and k.isdigit() else k: v for k, v in table.items()}


def _yaml(config: Config) -> str:
    return yaml.safe_dump(config.model_dump(by_alias=True), sort_keys=False,
                          allow_unicode=True)
