"""Territory constants that make the start of a run a stationary state of the model.

The synthetic population is placed where the census puts people, not where the choice
model would send them; left alone, the model would first "correct" that placement, and
those spurious flows would move prices in every scenario. As in UrbanSim's base-year
calibration of location-choice constants, one constant per territory is fitted so that,
at the start, expected arrivals equal expected departures plus any net migration target
by région (none by default; docs/odd.md §5). Expected flows use household types (home,
profile, job; mean telework and budget) weighted by their move hazards; the fixed point
is found by the usual log-ratio iteration, its step halved whenever the largest gap grows
(an overshoot), and a fit that ends unconverged warns.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np

from migrasim.params import Flag, Params, Positive, Real, keyed, number
from migrasim.population.types import household_types
from migrasim.submodels.base import Submodel
from migrasim.territories import read_shipped
from migrasim.territories.classification import REGIONS

if TYPE_CHECKING:
    from migrasim.model import MigrationModel


class EquilibriumParams(Params):
    """``model.equilibrium`` (configs/model/default.yaml)."""

    enabled: Flag
    iterations: number(1, 100_000, integer=True)
    tolerance: Positive                 # max |log(wanted / expected arrivals)| to stop
    damping: number(0.0, 2.0, lo_open=True)
    net_migration_per_year: keyed(Real, REGIONS, "INSEE région codes") = {}  # persons


class TerritoryConstants(Submodel):
    """One constant per territory, fitted at the start so that the initial population is
    a stationary state (initialisation only)."""

    name = "constants"
    title = "Territory constants"
    section = "model.equilibrium"
    reads = ("decision", "choice", "market")

    def __init__(self, params: EquilibriumParams, values: np.ndarray | None = None):
        super().__init__(params)
        self.given = values
        self.report: dict = {}

    def init(self, model: MigrationModel) -> None:
        self.values = np.zeros(len(model.territories))
        if self.given is not None:
            self.values = np.asarray(self.given, dtype=np.float64)
        elif self.params.enabled:
            self.values, self.report = self.fit(model)
            if not self.report["converged"]:
                warnings.warn(
                    f"model.equilibrium: the territory constants did not converge (largest "
                    f"|log(wanted / expected arrivals)| {self.report['max_gap']:.3g} after "
                    f"{self.report['iterations']} iterations, tolerance {self.params.tolerance})"
                    ": the start is not a stationary state; raise iterations or lower damping,"
                    " or check net_migration_per_year", RuntimeWarning, stacklevel=2)

    def targets(self, model: MigrationModel) -> np.ndarray:
        """Net arrivals a month (simulated households) per territory. A région's target is
        for the whole région: the part of it inside the study area takes its population
        share of the target, shared among its EPCI by population. The opposite of all the
        targets is spread by population over the régions of the area without a target
        (over the whole area if every région has one), so that each région with a target
        gets exactly its own. A région that covers the whole study area has no rest to
        trade with: its target is skipped (moves inside an area cannot change its number
        of households)."""
        df = model.territories.df
        pop = df["population"].to_numpy(float)
        national = read_shipped()[0].groupby("region")["population"].sum()
        per_month = np.zeros(len(df))
        targeted = np.zeros(len(df), dtype=bool)
        for region, persons in self.params.net_migration_per_year.items():
            mine = (df["region"] == str(region)).to_numpy()
            if not mine.any() or mine.all():
                continue
            share = pop[mine].sum() / national.get(str(region), pop[mine].sum())
            households = (persons * min(share, 1.0) / df["household_size"].to_numpy(float)
                          * model.scale / 12.0)
            per_month[mine] += households[mine] * pop[mine] / pop[mine].sum()
            targeted |= mine
        rest = ~targeted if (~targeted).any() else np.ones(len(df), dtype=bool)
        per_month[rest] -= per_month.sum() * pop[rest] / pop[rest].sum()
        return per_month

    def fit(self, model: MigrationModel) -> tuple[np.ndarray, dict]:
        """Constants (one per territory) and a convergence report; the constants in
        ``values`` are zero meanwhile."""
        p = self.params
        decision, choice, market = (model.submodels.decision, model.submodels.choice,
                                    model.submodels.market)
        types = household_types(model.types, decision.decide(model, model.start_month)[1])
        net = self.targets(model)
        base = choice.territory_terms(model)
        asc = np.zeros(len(model.territories))
        report = {"types": int(len(types.weight)), "iterations": 0, "max_gap": float("nan")}
        step, last = p.damping, np.inf
        for it in range(p.iterations):
            arrivals, departures = market.expected_flows(
                types, choice.lookup(model, base + asc[None, :]))
            gap = (np.log(np.maximum(departures + net, 1e-9))
                   - np.log(np.maximum(arrivals, 1e-9)))
            worst = float(np.abs(gap).max())
            if worst > last:  # the last step overshot (a territory's departures fall as its
                step *= 0.5   # own constant rises): shorter steps from now on
            last = worst
            asc += step * gap
            asc -= asc.mean()
            report = {"types": int(len(types.weight)), "iterations": it + 1, "max_gap": worst}
            if worst < p.tolerance:
                break
        report["converged"] = report["max_gap"] < p.tolerance
        return asc, report
