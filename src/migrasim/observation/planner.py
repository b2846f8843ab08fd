"""What a planner asks of a comparison, for a group of territories: totals over the run
and their bands over seeds, paired with the reference seed by seed.

Every figure comes from an ensemble's per-run yearly indicators (``Ensemble.indicators``:
scenario, seed, for_scenario, area, indicator, year, value; observation/yearly.py), so a
report never reruns anything. A band is the 10 %, 50 % and 90 % quantiles over seeds;
a paired difference is scenario − reference for the same seed (common random numbers).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from migrasim.observation.yearly import RETENTION_YEARS

QUANTILES = (0.1, 0.5, 0.9)


@dataclass(frozen=True)
class Band:
    """Quantiles over seeds; ``seeds``: how many seeds gave a value."""

    q10: float
    q50: float
    q90: float
    seeds: int

    @classmethod
    def of(cls, values: pd.Series) -> Band:
        v = values.dropna().to_numpy(float)
        if v.size == 0:
            return cls(np.nan, np.nan, np.nan, 0)
        return cls(*np.quantile(v, QUANTILES), v.size)

    def text(self, digits: int = 0, unit: str = "") -> str:
        if self.seeds == 0:
            return "n/a"
        f = f"{{:,.{digits}f}}"
        return f"{f.format(self.q50)}{unit} [{f.format(self.q10)}, {f.format(self.q90)}]"


def per_seed(indicators: pd.DataFrame, scenario: str, indicator: str, area: str,
             how: str = "sum", years: Sequence[int] | None = None) -> pd.Series:
    """One value per seed of ``scenario``: the indicator over ``area``, summed over the
    years (``how="sum"``), or at the last year (``"last"``); ``years`` limits the years."""
    rows = indicators[(indicators["scenario"] == scenario)
                      & (indicators["for_scenario"] == scenario)
                      & (indicators["area"] == area) & (indicators["indicator"] == indicator)]
    if years is not None:
        rows = rows[rows["year"].isin(list(years))]
    if rows.empty:
        return pd.Series(dtype=float)
    if how == "sum":
        return rows.groupby("seed")["value"].sum()
    if how == "last":
        return rows[rows["year"] == rows["year"].max()].set_index("seed")["value"]
    raise ValueError(f"how: {how!r} is not allowed; allowed: 'sum' or 'last'")


def paired(indicators: pd.DataFrame, scenario: str, reference: str, indicator: str,
           area: str, how: str = "sum", years: Sequence[int] | None = None) -> pd.Series:
    """Scenario − reference, seed by seed."""
    a = per_seed(indicators, scenario, indicator, area, how, years)
    b = per_seed(indicators, reference, indicator, area, how, years)
    return (a - b).dropna()


def retention_years(indicators: pd.DataFrame, k: int) -> list[int]:
    """Cohort years whose newcomers can be followed for ``k`` years in these runs."""
    rows = indicators[indicators["indicator"] == f"retained_newcomers_{k}y"]
    return sorted(int(y) for y in rows["year"].unique())


def retention(indicators: pd.DataFrame, scenario: str, area: str, k: int) -> pd.Series:
    """Per seed: the share of the households arriving in the area during the cohort years
    that can be followed ``k`` years who still live in the EPCI they arrived in."""
    years = retention_years(indicators, k)
    kept = per_seed(indicators, scenario, f"retained_newcomers_{k}y", area, "sum", years)
    came = per_seed(indicators, scenario, "arrivals", area, "sum", years)
    return kept / came.where(came > 0)


def cost_per_gain(indicators: pd.DataFrame, scenario: str, reference: str, indicator: str,
                  area: str, gain_sign: float = 1.0,
                  years: Sequence[int] | None = None) -> tuple[Band, int]:
    """Extra policy cost over the run / extra ``indicator`` (× ``gain_sign``: −1 when the
    gain is a fall, as for displaced households), seed by seed; returns the band over the
    seeds with a positive gain and the number of seeds without one."""
    cost = paired(indicators, scenario, reference, "policy_cost_eur", area)
    gain = gain_sign * paired(indicators, scenario, reference, indicator, area, "sum", years)
    both = pd.concat([cost, gain], axis=1, keys=["cost", "gain"]).dropna()
    ok = both["gain"] > 0
    return Band.of(both.loc[ok, "cost"] / both.loc[ok, "gain"]), int((~ok).sum())


def longest_retention(indicators: pd.DataFrame) -> int | None:
    """The longest retention horizon these runs can follow at least one cohort for."""
    ks = [k for k in RETENTION_YEARS if retention_years(indicators, k)]
    return max(ks) if ks else None
