"""Two runs compared EPCI by EPCI and year by year (``Results.compare``).

    diff = res.compare(res.baseline)      # or any other Results of the same study area
    diff.frame                            # epci, year, indicator, value, other, difference..
    diff.plot("price_m2", epci="petr_haut_rouergue")
    diff.map("net_migration", year=2022)
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from migrasim.observation.areas import select
from migrasim.observation.maps import plot_map
from migrasim.territories import Territories


@dataclass
class Differences:
    """``frame``: one row per EPCI, year and indicator (observation/yearly.py
    ``EPCI_INDICATORS``): this run's ``value``, the ``other`` run's, ``difference`` and
    ``difference_pct`` (NaN where the other run's value is 0)."""

    frame: pd.DataFrame
    area: Territories
    label: str

    def __repr__(self) -> str:
        return (f"Differences({self.label}: {self.frame['epci'].nunique():,} EPCI × "
                f"{self.frame['year'].nunique()} years × {self.frame['indicator'].nunique()} "
                "indicators)")

    def _rows(self, indicator: str) -> pd.DataFrame:
        rows = self.frame[self.frame["indicator"] == indicator]
        if rows.empty:
            raise ValueError(f"indicator {indicator!r} is not compared; allowed: one of "
                             f"{sorted(set(self.frame['indicator']))}")
        return rows

    def plot(self, indicator: str = "price_m2", epci=None, ax=None):
        """The difference by year: its median over the EPCI with the 10-90 % range
        between EPCI, and one line per selected EPCI (``epci``: codes or a group)."""
        import matplotlib.pyplot as plt

        rows = self._rows(indicator)
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 3.5))
        q = rows.groupby("year")["difference"].quantile([0.1, 0.5, 0.9]).unstack()
        ax.plot(q.index, q[0.5], color="black", label="median over EPCI")
        ax.fill_between(q.index, q[0.1], q[0.9], color="grey", alpha=0.3, linewidth=0,
                        label="10-90 % of EPCI")
        if epci is not None:
            codes = self.area.df.index[select(self.area, epci)]
            names = self.area.df["name"]
            for code, group in rows[rows["epci"].isin(codes)].groupby("epci"):
                ax.plot(group["year"], group["difference"], marker="o", label=names[code])
        ax.axhline(0.0, color="grey", linewidth=0.8)
        ax.set_ylabel(f"{indicator} difference")
        ax.set_title(self.label)
        years = sorted(rows["year"].unique())
        ax.set_xticks(years, [str(y) for y in years])
        ax.legend(fontsize=8)
        return ax.figure

    def map(self, indicator: str = "price_m2", year: int | None = None, pct: bool = False):
        """Map of the difference in ``year`` (the last one by default; % with ``pct``)."""
        rows = self._rows(indicator)
        year = int(rows["year"].max()) if year is None else year
        column = "difference_pct" if pct else "difference"
        values = rows[rows["year"] == year].set_index("epci")[column]
        ax = plot_map(self.area, values=values.reindex(self.area.df.index).to_numpy(float),
                      center=0.0, label="%" if pct else indicator,
                      title=f"{indicator} in {year}: {self.label}")
        return ax.figure


def compare(mine: pd.DataFrame, other: pd.DataFrame, area: Territories,
            label: str) -> Differences:
    """Pair two runs' yearly values by EPCI (observation/yearly.py ``by_epci``)."""
    key = ["epci", "year", "indicator"]
    both = mine.merge(other.rename(columns={"value": "other"}), on=key, how="inner")
    both["difference"] = both["value"] - both["other"]
    both["difference_pct"] = 100.0 * both["difference"] / both["other"].where(
        both["other"] != 0)
    return Differences(both, area, label)

