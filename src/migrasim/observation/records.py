"""Records: what each month leaves behind, as tidy tables.

``territories``: one row per EPCI and month: the housing stock (households in total and
by profile, dwellings, vacancy), then the results every submodel of the schedule
declares, in the order of the schedule. ``flows``: one row per year, origin, destination,
profile, age class and reason with at least one move, weighted to real households and
persons (sparse). ``cohorts``: at the end of each simulated December, per EPCI and year
of arrival, the real households still living in the EPCI they arrived in that year.
Counts are sums of household weights in base units (1 / scale real households;
docs/focus.md), weighted by 1 / scale in the tables.

A household *arrives* in an EPCI when it moves in from another EPCI or from abroad —
the moves the ``arrivals`` and ``from_abroad`` columns count, a young adult leaving the
parental home for another EPCI included. A move within the EPCI keeps the arrival; a
household formed in its parental home's EPCI and the initial population have no
simulated arrival and are in no cohort; one that moves on, dissolves or emigrates
leaves its cohort.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from migrasim import calendar
from migrasim.ages import AGE_CLASSES, N_AGES
from migrasim.kernels.decision import ABROAD, FORMATION, REASONS
from migrasim.population.buffers import appended
from migrasim.submodels.base import Result, Submodel

if TYPE_CHECKING:
    from migrasim.model import MigrationModel

STOCK = (Result("households", "households", "households living here"),
         Result("dwellings", "dwellings",
                "dwellings (occupied, vacant, long-term vacant, secondary homes)"),
         Result("vacancy", "share", "share of the dwellings vacant and on the market"))


def columns(schedule: Iterable[Submodel]) -> str:
    """The columns of ``territories.parquet`` as a markdown table (docs/odd.md §7)."""
    rows = [("month", "YYYY-MM", "", "the month, at its end"), ("epci", "", "", "EPCI code"),
            ("population", "persons", "",
             "households × persons per household × (1 + size trend)^years")]
    rows += [(r.name, r.unit, "housing stock", r.doc) for r in STOCK[:1]]
    rows.append(("households_<profile>", "households", "housing stock",
                 "households of each profile living here"))
    rows += [(r.name, r.unit, "housing stock", r.doc) for r in STOCK[1:]]
    rows += [(r.name, r.unit, s.title, r.doc) for s in schedule for r in s.results]
    return "\n".join(["| column | unit | from | meaning |", "|---|---|---|---|"]
                     + [f"| `{c}` | {u} | {f} | {m} |" for c, u, f, m in rows])


class Records(Submodel):
    """The month's per-territory results and moves are recorded."""

    name = "records"
    title = "Records"
    after = ("relocation",)

    def init(self, model: MigrationModel) -> None:
        self.rows: list[dict[str, np.ndarray]] = []
        self.flow_keys: dict[int, list[np.ndarray]] = {}
        self.flow_weights: dict[int, list[np.ndarray]] = {}  # the movers' weights
        self.arrived = np.full(len(model.households), -1, dtype=np.int16)  # year, −1: none
        self.cohort_keys: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # year → (key, weight)
        self.sources = [s for s in model.schedule if s.results]
        self.columns = {r.name: r for r in STOCK}
        for s in self.sources:
            self.columns.update((r.name, r) for r in s.results)

    def step(self, model: MigrationModel) -> None:
        n, stock = len(model.territories), model.stock
        row = {"month": np.full(n, model.month), "households": stock.occupied.copy()}
        for p, name in enumerate(model.profiles):
            row[f"households_{name}"] = stock.by_profile[:, p].copy()
        row.update(dwellings=stock.dwellings.copy(), vacancy=stock.vacancy())
        for s in self.sources:
            row.update(s.record(model))
        self.rows.append(row)
        origin, destination, profile, age, reason, weight = \
            model.submodels.relocation.flows(model)
        key = ((((origin.astype(np.int64) * n + destination) * len(model.profiles) + profile)
                * N_AGES + age) * len(REASONS) + reason)
        self.flow_keys.setdefault(model.month // 12, []).append(key)
        self.flow_weights.setdefault(model.month // 12, []).append(weight)
        self.follow_arrivals(model)
        if model.month % 12 == 11:
            hh = model.households
            here = hh.alive & (self.arrived >= 0)
            key = hh.home[here].astype(np.int64) * 10_000 + self.arrived[here]
            keys, at = np.unique(key, return_inverse=True)
            self.cohort_keys[model.month // 12] = (keys, np.bincount(
                at, weights=hh.weight[here], minlength=keys.size))

    def __getstate__(self) -> dict:
        """Pickled (checkpoints) without the growth buffer of ``arrived``."""
        return {k: v for k, v in self.__dict__.items() if k != "_buffer"}

    def follow_arrivals(self, model: MigrationModel) -> None:
        """The year each household arrived in its home EPCI (see module docstring)."""
        n = len(model.households)
        if self.arrived.size < n:  # new households' slots
            self.arrived, self._buffer = appended(self.arrived, self.__dict__.get("_buffer"),
                                                  n - self.arrived.size, -1)
        d, moved = model.submodels.decision, model.submodels.capacity.moved
        who, why = d.movers[moved], d.why[moved]
        came = (model.submodels.choice.chosen[moved] != d.origin[moved]) | (why == ABROAD)
        self.arrived[who[came]] = model.month // 12
        self.arrived[who[~came & (why == FORMATION)]] = -1

    def territories_table(self, model: MigrationModel) -> pd.DataFrame:
        """EPCI × month; counts weighted to real households and dwellings (1 / scale)."""
        weight = 1.0 / model.scale
        size = model.territories.array("household_size")
        cols = {k: np.concatenate([r[k] for r in self.rows]) for k in self.rows[0]}
        df = pd.DataFrame(cols)
        df.insert(1, "epci", np.tile(model.territories.codes, len(self.rows)))
        df["month"] = [calendar.label(x) for x in df["month"]]
        counts = [c for c in df.columns if c.startswith("households_")
                  or (c in self.columns and self.columns[c].count)]
        df[counts] = df[counts].astype(np.float64) * weight
        years = (np.repeat([r["month"][0] for r in self.rows], len(size)) - model.start_month) / 12
        trend = (1.0 + model.config.model.demography.household_size_trend) ** years
        df.insert(2, "population", df["households"] * np.tile(size, len(self.rows)) * trend)
        return df

    def cohorts_table(self, model: MigrationModel) -> pd.DataFrame:
        """Year (its end) × EPCI × year of arrival: real households still living there
        since that arrival."""
        frames = [pd.DataFrame({"year": year, "epci": model.territories.codes[key // 10_000],
                                "cohort": key % 10_000, "households": weight / model.scale})
                  for year, (key, weight) in sorted(self.cohort_keys.items())]
        if not frames:
            return pd.DataFrame({"year": pd.Series(dtype=np.int64), "epci": pd.Series(dtype=str),
                                 "cohort": pd.Series(dtype=np.int64),
                                 "households": pd.Series(dtype=float)})
        return pd.concat(frames, ignore_index=True)

    def flows_table(self, model: MigrationModel) -> pd.DataFrame:
        """Year × origin × destination × profile × age class × reason: households and
        persons moving (persons: the origin's household size, one for a new household)."""
        n, P = len(model.territories), len(model.profiles)
        size = model.territories.array("household_size")
        trend = model.config.model.demography.household_size_trend
        codes, profiles = model.territories.codes, np.array(model.profiles)
        frames = []
        for year, keys in sorted(self.flow_keys.items()):
            k, at = np.unique(np.concatenate(keys), return_inverse=True)
            c = np.bincount(at, weights=np.concatenate(self.flow_weights[year]))
            k, r = np.divmod(k, len(REASONS))
            k, a = np.divmod(k, N_AGES)
            od, p = np.divmod(k, P)
            o, d = np.divmod(od, n)
            frames.append(pd.DataFrame({
                "year": year, "origin": codes[o], "destination": codes[d],
                "profile": profiles[p], "age_class": np.array(AGE_CLASSES)[a],
                "reason": np.array(REASONS)[r], "households": c / model.scale,
                # a new household is the person who leaves (design), others move whole
                "persons": c / model.scale * np.where(r == FORMATION, 1.0, size[o])
                * (1.0 + trend) ** (year + 0.5 - model.start_month / 12)}))
        return pd.concat(frames, ignore_index=True)
