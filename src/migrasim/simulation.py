"""The notebook API: configure, run and read results without hydra.

    import migrasim
    sim = migrasim.Simulation(scenario="remote50", scale=0.01, seed=1)
    res = sim.run()
    res.territories          # EPCI × month
    res.flows                # yearly origin-destination pairs by profile
    res.summary              # headline indicators
    res.save("outputs/mine") # Parquet + JSON + figures, written atomically

When ``compare_to`` names a scenario (``baseline`` by default), it is run with the same
seed, so each household gets the same draws in both runs (common random numbers) and the
destabilisation measures compare against it.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig, OmegaConf

from migrasim import indicators
from migrasim.config import compose, validate
from migrasim.model import MigrationModel
from migrasim.territories import Territories


@dataclass
class Results:
    """Tidy tables of one run (and of its comparison run, if any)."""

    config: DictConfig
    territories: pd.DataFrame
    flows: pd.DataFrame
    area: Territories
    baseline: Results | None = None
    destabilisation: pd.DataFrame = field(init=False)
    summary: dict = field(init=False)

    def __post_init__(self) -> None:
        base = self.baseline.territories if self.baseline is not None else None
        self.destabilisation = indicators.destabilisation(self.territories, base, self.area)
        self.destabilisation["newcomers_share"] = indicators.newcomers_share(self.flows,
                                                                             self.area)
        self.summary = {"scenario": self.config.scenario.name, "seed": int(self.config.seed),
                        "scale": float(self.config.scale),
                        **indicators.summary(self.territories, self.flows, self.area,
                                             self.destabilisation)}
        if self.baseline is not None:
            self.summary["compared_to"] = self.baseline.config.scenario.name

    def save(self, directory: str | Path, figures: bool = True) -> Path:
        """Write the tables, summary, resolved config and figures into ``directory``.

        Every file is written to a temporary name and renamed into place; ``summary.json``
        comes last, so a directory with it is complete.
        """
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        (out / "summary.json").unlink(missing_ok=True)  # incomplete until rewritten last
        if self.baseline is None:
            (out / "baseline_territories.parquet").unlink(missing_ok=True)
        _atomic(out / "config.yaml", lambda p: OmegaConf.save(self.config, p, resolve=True))
        _atomic(out / "territories.parquet", lambda p: self.territories.to_parquet(p, index=False))
        _atomic(out / "flows.parquet", lambda p: self.flows.to_parquet(p, index=False))
        _atomic(out / "destabilisation.parquet",
                lambda p: self.destabilisation.reset_index().to_parquet(p, index=False))
        if self.baseline is not None:
            _atomic(out / "baseline_territories.parquet",
                    lambda p: self.baseline.territories.to_parquet(p, index=False))
        if figures:
            from migrasim import plots

            for name, fig in plots.all_figures(self).items():
                _atomic(out / f"{name}.png", lambda p, f=fig: f.savefig(p, dpi=110,
                                                                        format="png"))
                plots.close(fig)
        _atomic(out / "summary.json", lambda p: Path(p).write_text(
            json.dumps(self.summary, indent=2, ensure_ascii=False)))
        return out


def _atomic(path: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes files owner-only
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


class Simulation:
    """One configured run: a scenario, a seed, a scale, and any other config override."""

    def __init__(self, scenario: str = "remote50", *, seed: int = 1, scale: float = 0.01,
                 months: int | None = None, compare_to: str | None = "baseline",
                 overrides: Iterable[str] = (), config: DictConfig | None = None):
        if config is None:
            args = [f"scenario={scenario}", f"seed={seed}", f"scale={scale}",
                    f"compare_to={'null' if compare_to is None else compare_to}",
                    *([f"months={months}"] if months is not None else []), *overrides]
            config = compose(args)
        validate(config)
        self.config = config

    def run(self, progress: bool | None = None) -> Results:
        show = bool(self.config.get("progress", True)) if progress is None else progress
        other = self.config.get("compare_to")
        if not other or other == self.config.scenario.name:
            model = MigrationModel(config=self.config, collect=False)
            _advance(model, show, self.config.scenario.name)
            return _results(model)
        # The comparison run fits the territory constants; the scenario reuses them, so
        # its effect is not absorbed by constants fitted under it.
        base_cfg = self.config.copy()
        base_cfg.scenario = compose([f"scenario={other}"]).scenario
        base_cfg.compare_to = None
        base_model = MigrationModel(config=base_cfg, collect=False)
        model = MigrationModel(config=self.config, terr=base_model.territories,
                               constants=base_model.constants, collect=False)
        _advance(base_model, show, f"{other} (comparison)")
        _advance(model, show, self.config.scenario.name)
        return _results(model, _results(base_model))


def _advance(model: MigrationModel, show: bool, label: str) -> None:
    from tqdm import tqdm

    with tqdm(total=model.months, desc=label, unit="month", disable=not show) as bar:
        while model.running:
            model.step()
            bar.update(1)


def _results(model: MigrationModel, baseline: Results | None = None) -> Results:
    return Results(model.cfg, model.records.territories_table(), model.records.flows_table(),
                   model.territories, baseline)
