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
destabilisation measures compare against it. Both runs simulate the same focus area
(``scenario.focus`` of either; experiments/focus.py).
"""

from __future__ import annotations

import gc
import signal
from collections.abc import Iterable
from pathlib import Path

from tqdm import tqdm

from migrasim.config import DEFAULT, Config, comparison, configure
from migrasim.experiments import checkpoint, memory
from migrasim.experiments.checkpoint import Interrupted, Signals, State
from migrasim.experiments.focus import apply_overrides, focus_overrides
from migrasim.experiments.results import Results
from migrasim.model import MigrationModel
from migrasim.population.households import initial_counts
from migrasim.submodels.levers import make_policies
from migrasim.territories import Territories, study_area, with_focus


class Simulation:
    """One configured run: a scenario, a seed, a scale, any other config override, and
    the scenario it is compared with (``compare_to``; ``baseline`` by default, None for
    none). The other arguments are ``MigrationModel``'s: keyword arguments override
    ``overrides``, which override the config's defaults; ``config`` is a config already
    made, ``area`` a study area already loaded for it. Every value, the study area, the
    policies' territories, the scale (an EPCI with no household) and the estimated
    peak memory (``memory_check``) are checked here, before any work (``ConfigError``)."""

    def __init__(self, scenario: str | None = None, *, seed: int | None = None,
                 scale: float | None = None, months: int | None = None,
                 compare_to: str | None = DEFAULT, overrides: Iterable[str] = (),
                 config: Config | None = None, area: Territories | None = None):
        config = configure(config, scenario=scenario, seed=seed, scale=scale,
                           months=months, compare_to=compare_to, overrides=overrides)
        other = config.compare_to
        base = comparison(config, other) if other and other != config.scenario.name else None
        # both runs simulate the same focus area (the union of their scenarios')
        focus = focus_overrides([c.scenario for c in (config, base) if c is not None],
                                config.territory.groups)
        self.config = apply_overrides(config, focus)
        self.baseline_config = apply_overrides(base, focus) if base is not None else None
        self.area = area if area is not None else study_area(self.config.territory)
        for policy in make_policies(self.config.scenario.policies):
            policy.select(self.area)  # its targets lie in the study area
        initial_counts(with_focus(self.area, self.config.territory), self.config.scale,
                       self.config.seed)  # every EPCI has a household at this scale
        memory.check(self.config, self.area)  # its estimated peak fits in memory

    def run(self, progress: bool | None = None,
            checkpoint_dir: str | Path | None = None) -> Results:
        """Run the comparison scenario (if any), then the scenario. With
        ``checkpoint_dir`` and ``checkpoint.every``, the whole state is saved there every
        so many months, and on SIGINT/SIGTERM (``checkpoint.Interrupted``, raised between
        months)."""
        with Signals() as signals:
            if self.baseline_config is None:
                model = MigrationModel(config=self.config, area=self.area, collect=False)
                state = State(self, "model", None, model)
            else:
                # the scenario's model is built once the comparison's is done (_finish)
                base = MigrationModel(config=self.baseline_config, area=self.area,
                                      collect=False)
                state = State(self, "base", base, None)
            return self._finish(state, progress, checkpoint_dir, signals)

    @classmethod
    def resume(cls, directory: str | Path, progress: bool | None = None) -> Results:
        """Continue the run checkpointed in ``directory`` (checkpointing there as before);
        ``checkpoint.CheckpointError`` if it holds no checkpoint of this version."""
        state = checkpoint.load(directory)
        with Signals() as signals:
            return state.simulation._finish(state, progress, directory, signals)

    def _finish(self, state: State, progress: bool | None, directory: str | Path | None,
                signals: Signals) -> Results:
        show = self.config.progress if progress is None else progress
        every = self.config.checkpoint.every if directory is not None else None
        if state.phase == "base":
            label = f"{self.baseline_config.scenario.name} (comparison)"
            _advance(state, state.base, label, show, every, directory, signals)
            # The comparison run fits the territory constants; the scenario reuses them,
            # so its effect is not absorbed by constants fitted under it. The comparison
            # model is freed before the scenario's is built (only its constants and tables
            # are kept): the peak is one model's, not two (docs/architecture.md).
            constants = state.base.submodels.constants.values
            state.base, state.phase = Results.from_model(state.base), "model"
            gc.collect()  # the model and its agents reference each other
            state.model = MigrationModel(config=self.config, area=self.area,
                                         constants=constants, collect=False)
        _advance(state, state.model, self.config.scenario.name, show, every, directory,
                 signals)
        return Results.from_model(state.model, state.base)

    def __repr__(self) -> str:
        c = self.config
        versus = f" vs {c.compare_to!r}" if self.baseline_config is not None else ""
        return (f"Simulation({c.scenario.name!r}{versus}, seed {c.seed}, scale {c.scale:g}, "
                f"{c.months} months from {c.start}, {len(self.area):,} EPCI)")


def _advance(state: State, model: MigrationModel, label: str, show: bool,
             every: int | None, directory: str | Path | None, signals: Signals) -> None:
    """Step ``model`` to its end, checkpointing every ``every`` months of the whole
    simulation, and stopping between months when a signal came."""
    with tqdm(total=model.months, initial=model.month - model.start_month, desc=label,
              unit="month", disable=not show) as bar:
        if signals.received is not None:  # came while the models were built or reloaded
            _stop(state, model, label, signals.received, every, directory, saved=False)
        while model.running:
            model.step()
            bar.update(1)
            saved = every is not None and state.done % every == 0 and state.done < state.total
            if saved:
                checkpoint.save(directory, state)
            if signals.received is not None:
                _stop(state, model, label, signals.received, every, directory, saved)


def _stop(state: State, model: MigrationModel, label: str, signum: int, every: int | None,
          directory: str | Path | None, saved: bool) -> None:
    """Raise ``Interrupted`` with one line: where the run stopped, and how to resume."""
    if every is not None and not saved:
        checkpoint.save(directory, state)
    month = model.month - model.start_month
    where = (f"{signal.Signals(signum).name} stopped {label} after month {month} of "
             f"{model.months}")
    if every is None:
        why = "no run directory" if directory is None else "checkpoint.every is null"
        raise Interrupted(signum, f"{where}; no checkpoint ({why})")
    raise Interrupted(signum, f"{where}; checkpoint saved: resume with "
                              f"`python -m migrasim resume={directory}`")
