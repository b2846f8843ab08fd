"""Figures of a run: national time series, maps of price change and net migration, and
flows by urban-hierarchy class."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from migrasim.observation import indicators
from migrasim.observation.areas import select
from migrasim.observation.maps import plot_map
from migrasim.territories.classification import HIERARCHY


def close(fig) -> None:
    plt.close(fig)


def national(res):
    """Moves, prices and vacancy over time (with the comparison run dashed)."""
    fig, axes = plt.subplots(3, 1, figsize=(8, 8), sharex=True)
    for r, style in ((res, "-"), (res.baseline, "--")):
        if r is None:
            continue
        g = r.territories.groupby("month")
        x = np.arange(g.ngroups)
        name = r.config.scenario.name
        axes[0].plot(x, g["arrivals"].sum() + g["internal_moves"].sum(), style, label=name)
        w = r.territories["dwellings"]
        price = (r.territories["price_m2"] * w).groupby(r.territories["month"]).sum() / \
            w.groupby(r.territories["month"]).sum()
        axes[1].plot(x, price, style, label=name)
        axes[2].plot(x, 100 * g["vacancy"].mean(), style, label=name)
    months = sorted(res.territories["month"].unique())
    ticks = [i for i, m in enumerate(months) if m.endswith("-01")]
    axes[2].set_xticks(ticks, [months[i][:4] for i in ticks])
    axes[0].set_ylabel("households moving / month")
    axes[1].set_ylabel("mean price €/m² (stock-weighted)")
    axes[2].set_ylabel("mean vacancy %")
    axes[0].legend()
    fig.suptitle(f"migrasim — {res.config.scenario.name}")
    fig.tight_layout()
    return fig


# Columns averaged over EPCI (weighted by dwellings: of the first month for prices and
# rents, so that a price series follows the same dwellings, of the month for vacancy);
# every other column of the territories table is a count, summed.
AVERAGED = {"price_m2": "first", "rent_month": "first", "vacancy": "month"}


def series(res, indicator: str = "price_m2", epci=None, ax=None):
    """A territories column by month over the whole study area or the EPCI ``epci``
    (codes or a group), with the comparison run dashed."""
    if indicator not in res.territories.columns or indicator in ("month", "epci"):
        raise ValueError(f"indicator {indicator!r} is not a column of the territories table; "
                         f"allowed: one of {sorted(res.territories.columns[2:])}")
    codes = res.area.df.index[select(res.area, epci)]
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.5))
    months = sorted(res.territories["month"].unique())
    for r, style in ((res, "-"), (res.baseline, "--")):
        if r is None:
            continue
        t = r.territories[r.territories["epci"].isin(codes)]
        ax.plot(np.arange(len(months)), _monthly(t, indicator), style,
                label=r.config.scenario.name)
    ticks = [i for i, m in enumerate(months) if m.endswith("-01")]
    ax.set_xticks(ticks, [months[i][:4] for i in ticks])
    where = "study area" if epci is None else (epci if isinstance(epci, str) and len(codes) > 1
                                               else ", ".join(res.area.df.loc[codes, "name"]))
    ax.set_title(f"{indicator}: {where}")
    ax.set_ylabel(indicator)
    ax.legend(fontsize=8)
    return ax.figure


def _monthly(t, column: str):
    by = t.groupby("month", sort=True)
    if column not in AVERAGED:
        return by[column].sum().to_numpy()
    if AVERAGED[column] == "first":
        first = t[t["month"] == t["month"].min()].set_index("epci")["dwellings"]
        weight = t["epci"].map(first)
    else:
        weight = t["dwellings"]
    return ((t[column] * weight).groupby(t["month"]).sum()
            / weight.groupby(t["month"]).sum()).to_numpy()


def price_map(res):
    d = res.destabilisation
    col = "price_vs_baseline_pct" if "price_vs_baseline_pct" in d else "price_change_pct"
    ax = plot_map(res.area, values=d[col].reindex(res.area.df.index).to_numpy(), center=0.0,
                  label="%", title=f"Price change ({col.replace('_', ' ')})")
    return ax.figure


def net_migration_map(res):
    t = res.territories.groupby("epci")[["arrivals", "departures"]].sum()
    pop = res.area.df["population"]
    net = 1000 * (t["arrivals"] - t["departures"]).reindex(pop.index) / pop
    ax = plot_map(res.area, values=net.to_numpy(), center=0.0, label="per 1,000 inhabitants",
                  title="Net migration of households over the run")
    return ax.figure


def hierarchy_flows(res):
    m = indicators.hierarchy_matrix(res.flows, res.area).reindex(
        index=list(HIERARCHY), columns=list(HIERARCHY)).fillna(0.0)
    fig, ax = plt.subplots(figsize=(6, 5))
    im = ax.imshow(100 * m.to_numpy(), cmap="Blues")
    ax.set_xticks(range(len(HIERARCHY)), HIERARCHY, rotation=30)
    ax.set_yticks(range(len(HIERARCHY)), HIERARCHY)
    ax.set_xlabel("destination class")
    ax.set_ylabel("origin class")
    for i in range(len(HIERARCHY)):
        for j in range(len(HIERARCHY)):
            ax.text(j, i, f"{100 * m.iat[i, j]:.1f}", ha="center", va="center", fontsize=8)
    fig.colorbar(im, ax=ax, label="% of moves")
    ax.set_title("Moves by urban-hierarchy class")
    fig.tight_layout()
    return fig


def all_figures(res) -> dict:
    return {"national": national(res), "map_price_change": price_map(res),
            "map_net_migration": net_migration_map(res), "flows_by_hierarchy":
            hierarchy_flows(res)}
