"""Figures and the short report of an ensemble: yearly bands by scenario (levels and
paired differences), paired against unpaired bands, maps of the median difference."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from migrasim.observation import bands
from migrasim.observation.maps import plot_map
from migrasim.observation.yearly import UNITS

if TYPE_CHECKING:
    from migrasim.experiments.ensemble import Ensemble

HEADLINE = ("population", "net_migration", "price_m2", "rent_month", "vacancy", "displaced")


def close(fig) -> None:
    plt.close(fig)


def series(comparison: pd.DataFrame, indicators: Sequence[str], area: str, paired: bool,
           reference: str):
    """One panel per indicator: each scenario's median over seeds and its 10-90 % band
    by year (of the paired difference with the reference with ``paired``)."""
    known = set(comparison["indicator"])
    unknown = [i for i in indicators if i not in known]
    if unknown:
        raise ValueError(f"indicator {unknown[0]!r} is not in this comparison; allowed: "
                         f"one of {sorted(known)}")
    rows = comparison[comparison["area"] == area]
    if rows.empty:
        raise ValueError(f"area {area!r} is not in this comparison; allowed: one of "
                         f"{sorted(set(comparison['area']))}")
    prefix = "diff_" if paired else ""
    fig, axes = plt.subplots(len(indicators), 1, figsize=(7, 2.6 * len(indicators)),
                             sharex=True, squeeze=False)
    for ax, name in zip(axes[:, 0], indicators, strict=True):
        table = rows[rows["indicator"] == name]
        for scenario, group in table.groupby("scenario", sort=False):
            if paired and scenario == reference:
                continue
            g = group.sort_values("year")
            line, = ax.plot(g["year"], g[f"{prefix}q50"], marker="o", label=scenario)
            ax.fill_between(g["year"], g[f"{prefix}q10"], g[f"{prefix}q90"], alpha=0.25,
                            color=line.get_color(), linewidth=0)
        if paired:
            ax.axhline(0.0, color="grey", linewidth=0.8)
        what = f"{name} − {reference}" if paired else name
        ax.set_ylabel(f"{what}\n({UNITS.get(name, '')})", fontsize=8)
        _years_axis(ax, table["year"])
    axes[0, 0].legend(fontsize=8)
    kind = "paired difference with " + reference if paired else "level"
    fig.suptitle(f"{area}: median and 10-90 % band over seeds ({kind})", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.98))
    return fig


def paired_vs_level(ens: Ensemble, indicator: str, area: str, scenario: str):
    """Why pair: the band of the scenario's level, the band of its difference with the
    reference computed seed by seed (common random numbers), and computed across seeds
    (each seed against the reference's next seed)."""
    runs = ens.indicators
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    for name in dict.fromkeys([ens.reference, scenario]):
        _band(left, bands.levels(runs, name), indicator, area, name)
    left.set_title(f"{indicator}, {area}: levels")
    if scenario != ens.reference:
        _band(right, bands.paired(runs, scenario, ens.reference), indicator, area,
              "paired (same seed)")
        _band(right, bands.unpaired(runs, scenario, ens.reference), indicator, area,
              "unpaired (another seed)")
        right.axhline(0.0, color="grey", linewidth=0.8)
    right.set_title(f"{scenario} − {ens.reference}")
    for ax in (left, right):
        ax.set_ylabel(UNITS.get(indicator, ""), fontsize=8)
        _years_axis(ax, runs["year"])
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _years_axis(ax, years) -> None:
    years = sorted(int(y) for y in set(years))
    ax.set_xticks(years, [str(y) for y in years])


def _band(ax, values: pd.Series, indicator: str, area: str, label: str) -> None:
    v = values.xs((indicator, area), level=("indicator", "area"))
    q = v.groupby(level="year").quantile(list(bands.QUANTILES)).unstack()
    years = q.index.to_numpy()
    line, = ax.plot(years, q[bands.QUANTILES[1]], marker="o", label=label)
    ax.fill_between(years, q[bands.QUANTILES[0]], q[bands.QUANTILES[-1]], alpha=0.25,
                    color=line.get_color(), linewidth=0)


def difference_map(comparison_epci: pd.DataFrame, area, scenario: str, indicator: str,
                   reference: str):
    """EPCI coloured by the median paired difference of an end-of-run indicator."""
    rows = comparison_epci[(comparison_epci["scenario"] == scenario)
                           & (comparison_epci["indicator"] == indicator)]
    if rows.empty:
        raise ValueError(f"no {indicator!r} for {scenario!r}; allowed: indicators "
                         f"{sorted(set(comparison_epci['indicator']))}, scenarios "
                         f"{sorted(set(comparison_epci['scenario']))}")
    values = rows.set_index("epci")["diff_q50"].reindex(area.df.index).to_numpy(float)
    ax = plot_map(area, values=values, center=0.0,
                  label=f"difference ({UNITS.get(indicator, '')})",
                  title=f"{indicator}: {scenario} − {reference}\n(median paired "
                        "difference at the end of the run)")
    return ax.figure


def all_figures(ens: Ensemble) -> dict:
    """Levels and paired differences by area, paired against unpaired bands, and maps of
    the median price and net-migration differences for each scenario."""
    figures = {}
    present = [i for i in HEADLINE if i in set(ens.comparison["indicator"])]
    for area in dict.fromkeys(ens.comparison["area"]):
        figures[f"bands_{area}"] = series(ens.comparison, present, area, False, ens.reference)
        if len(ens.scenarios) > 1:
            figures[f"differences_{area}"] = series(ens.comparison, present, area, True,
                                                    ens.reference)
    others = [n for n in ens.scenarios if n != ens.reference]
    if others:
        area = "target" if "target" in set(ens.comparison["area"]) else "national"
        figures["paired_vs_level"] = paired_vs_level(ens, "population", area, others[0])
    for name in others:
        for indicator in ("price_m2", "net_migration"):
            figures[f"map_{name}_{indicator}"] = difference_map(
                ens.comparison_epci, ens.area, name, indicator, ens.reference)
    return figures


def report(ens: Ensemble) -> str:
    """``comparison.md``: the settings, the areas, and the last year's bands."""
    c = ens.configs[ens.reference]
    lines = [f"# Comparison: {', '.join(ens.scenarios)}", "",
             f"Reference `{ens.reference}`; seeds {ens.seeds[0]}..{ens.seeds[-1]} "
             f"({len(ens.seeds)}); scale {c.scale:g}; {c.months} months from {c.start}; "
             f"{len(ens.area):,} EPCI.", ""]
    names = ens.area.df["name"]
    for scenario, areas in ens.areas.items():
        for key in ("target", "neighbours"):
            codes = areas.get(key) or []
            shown = ", ".join(str(names.get(code, code)) for code in codes[:8])
            more = f" and {len(codes) - 8} more" if len(codes) > 8 else ""
            lines.append(f"- `{scenario}` {key}: {shown or 'none'}{more}")
    last = ens.comparison["year"].max()
    table = ens.comparison[ens.comparison["year"] == last]
    lines += ["", f"Year {last}: median [10 %, 90 %] over seeds; paired difference with "
              f"`{ens.reference}` seed by seed.", "",
              "| scenario | area | indicator | level | difference |", "|---|---|---|---|---|"]
    for _, r in table.iterrows():
        lines.append(f"| {r['scenario']} | {r['area']} | {r['indicator']} | "
                     f"{_band_text(r, '')} | {_band_text(r, 'diff_')} |")
    lines += ["", *(f"Note: {n}." for n in ens.notes)]
    return "\n".join(lines) + "\n"


def _band_text(row: pd.Series, prefix: str) -> str:
    q10, q50, q90 = (row[f"{prefix}{q}"] for q in bands.NAMES)
    if not np.isfinite(q50):
        return ""
    return f"{q50:.4g} [{q10:.4g}, {q90:.4g}]"
