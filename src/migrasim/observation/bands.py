"""Bands over seeds: the quantiles of each scenario's yearly indicators, and of the paired
difference with the reference scenario, seed by seed (common random numbers).

The per-run table (``runs``) has one row per scenario, seed, area, indicator and year, and
``for_scenario``: the scenario whose target and neighbours the area names (the reference
run is measured on every scenario's areas, so that each scenario pairs with it on its
own). Derived, paired-only indicators on the target (their quantiles are in the ``diff_``
columns, at the last year; NaN when the denominator is not positive):

* ``cost_per_retained_newcomer_eur``: extra policy cost over the run / extra newcomers
  retained one year after arriving (all cohorts);
* ``cost_per_displacement_avoided_eur``: extra policy cost / displaced households avoided.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

QUANTILES = (0.1, 0.5, 0.9)
NAMES = ("q10", "q50", "q90")
COLUMNS = ["scenario", "indicator", "area", "year", *NAMES, *(f"diff_{q}" for q in NAMES)]
KEY = ["indicator", "area", "year"]
COSTS = {"cost_per_retained_newcomer_eur": "retained_newcomers_1y",
         "cost_per_displacement_avoided_eur": "displaced"}


def _quantiles(values: pd.Series, by: list[str]) -> pd.DataFrame:
    table = values.groupby(level=by, sort=False).quantile(list(QUANTILES)).unstack()
    return table.set_axis(list(NAMES), axis=1)


def levels(runs: pd.DataFrame, scenario: str) -> pd.Series:
    """The scenario's own values, indexed by indicator, area, year and seed."""
    own = runs[(runs["scenario"] == scenario) & (runs["for_scenario"] == scenario)]
    return own.set_index([*KEY, "seed"])["value"].sort_index()


def paired(runs: pd.DataFrame, scenario: str, reference: str) -> pd.Series:
    """Scenario minus reference, seed by seed, on the scenario's areas."""
    ref = runs[(runs["scenario"] == reference) & (runs["for_scenario"] == scenario)]
    level = levels(runs, scenario)
    return level - ref.set_index([*KEY, "seed"])["value"].reindex(level.index)


def unpaired(runs: pd.DataFrame, scenario: str, reference: str) -> pd.Series:
    """Scenario minus reference with seeds shifted by one (seed i against the reference's
    next seed, cyclically): the difference without common random numbers."""
    level = levels(runs, scenario)
    ref = runs[(runs["scenario"] == reference) & (runs["for_scenario"] == scenario)]
    seeds = sorted(ref["seed"].unique())
    shift = dict(zip(seeds, seeds[1:] + seeds[:1], strict=True))
    other = ref.assign(seed=ref["seed"].map({v: k for k, v in shift.items()}))
    return level - other.set_index([*KEY, "seed"])["value"].reindex(level.index)


def comparison(runs: pd.DataFrame, reference: str) -> pd.DataFrame:
    """One row per scenario, indicator, area and year: quantiles over seeds of the level
    and of the paired difference with ``reference`` (NaN for the reference itself)."""
    frames = []
    for scenario in dict.fromkeys(runs["scenario"]):
        level = levels(runs, scenario)
        table = _quantiles(level, KEY)
        if scenario == reference:
            diff = pd.DataFrame(np.nan, index=table.index, columns=list(NAMES))
        else:
            diff = _quantiles(paired(runs, scenario, reference), KEY)
            costs = _costs(runs, scenario, reference)
            if len(costs):
                table = pd.concat([table, pd.DataFrame(np.nan, index=costs.index,
                                                       columns=list(NAMES))])
                diff = pd.concat([diff, costs])
        frame = table.join(diff.add_prefix("diff_")).reset_index()
        frames.append(frame.assign(scenario=scenario))
    return pd.concat(frames, ignore_index=True)[COLUMNS]


def _costs(runs: pd.DataFrame, scenario: str, reference: str) -> pd.DataFrame:
    """Quantiles of the derived cost ratios on the target (empty without a policy cost)."""
    target = runs[(runs["for_scenario"] == scenario) & (runs["area"] == "target")]
    if "policy_cost_eur" not in set(target["indicator"]):
        return pd.DataFrame(columns=list(NAMES))

    def total(name: str, indicator: str) -> pd.Series:
        rows = target[(target["scenario"] == name) & (target["indicator"] == indicator)]
        return rows.groupby("seed")["value"].sum()

    extra_cost = total(scenario, "policy_cost_eur") - total(reference, "policy_cost_eur")
    gains = {"retained_newcomers_1y": total(scenario, "retained_newcomers_1y")
             - total(reference, "retained_newcomers_1y"),
             "displaced": total(reference, "displaced") - total(scenario, "displaced")}
    last = int(target["year"].max())
    rows = {}
    for name, gain_of in COSTS.items():
        gain = gains[gain_of]
        if gain.empty:
            continue
        ratio = (extra_cost / gain.where(gain > 0)).to_numpy(float)
        rows[(name, "target", last)] = np.quantile(ratio, QUANTILES) \
            if np.isfinite(ratio).all() else [np.nan] * len(NAMES)
    index = pd.MultiIndex.from_tuples(list(rows), names=KEY)
    return pd.DataFrame(list(rows.values()), index=index, columns=list(NAMES))


def by_epci(epci: pd.DataFrame, scenarios: list[str], reference: str) -> pd.DataFrame:
    """From each run's end-of-run values by EPCI (columns scenario, seed, epci and the
    indicators): the median over seeds and the quantiles of the paired difference, by
    scenario, EPCI and indicator (NaN differences for the reference)."""
    long = epci.melt(id_vars=["scenario", "seed", "epci"], var_name="indicator")
    key, by = ["epci", "indicator", "seed"], ["epci", "indicator"]
    ref = long[long["scenario"] == reference].set_index(key)["value"]
    frames = []
    for name in scenarios:
        level = long[long["scenario"] == name].set_index(key)["value"]
        table = level.groupby(level=by).median().rename("q50").to_frame()
        diff = _quantiles(level - ref.reindex(level.index), by).add_prefix("diff_")
        table = table.join(diff * np.nan if name == reference else diff)
        frames.append(table.reset_index().assign(scenario=name))
    return pd.concat(frames, ignore_index=True)[
        ["scenario", "epci", "indicator", "q50", *(f"diff_{q}" for q in NAMES)]]


def mean_bands(runs: pd.DataFrame, scenarios: list[str], reference: str,
               differences: bool) -> pd.DataFrame:
    """The mean over seeds and its bootstrap band (:func:`mean_band`) by scenario,
    indicator, area and year, of the levels or of the paired ``differences``."""
    rows = []
    for name in scenarios:
        if differences and name == reference:
            continue
        values = paired(runs, name, reference) if differences else levels(runs, name)
        for (indicator, area, year), group in values.groupby(level=KEY, sort=False):
            finite = group.to_numpy(float)
            finite = finite[np.isfinite(finite)]
            if len(finite):
                low, high = mean_band(finite)
                rows.append({"scenario": name, "indicator": indicator, "area": area,
                             "year": year, "mean": float(finite.mean()), "low": low,
                             "high": high})
    return pd.DataFrame(rows)


def mean_band(values: np.ndarray, draws: int = 2000, seed: int = 0) -> tuple[float, float]:
    """10 % and 90 % quantiles of the mean over seeds, by bootstrap over the seeds (a
    fixed generator: the same values give the same band). It narrows as seeds are added,
    as 1/√seeds, where the band of the runs themselves does not."""
    values = np.asarray(values, float)
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), size=(draws, len(values)))].mean(axis=1)
    low, high = np.quantile(means, [QUANTILES[0], QUANTILES[-1]])
    return float(low), float(high)
