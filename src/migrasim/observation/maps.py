"""Maps of EPCI centroids: the one picture every output of the model reuses."""

from __future__ import annotations

import numpy as np
import pandas as pd


def plot_map(territories, column: str | None = None, *, ax=None, values=None,
             size: str | None = "population", cmap: str = "viridis",
             center: float | None = None, title: str | None = None, label: str | None = None):
    """EPCI centroids on lon/lat, sized by ``size`` and coloured by ``column``.

    ``territories`` is a :class:`~migrasim.territories.Territories` or its DataFrame;
    ``values`` colours by an array aligned with it instead of a column. The aspect
    is equal at the study area's mean latitude (an equirectangular projection), so
    distances look right. ``center`` makes a diverging colour scale around it.
    """
    import matplotlib.colors as mcolors
    import matplotlib.pyplot as plt

    df: pd.DataFrame = getattr(territories, "df", territories)
    for key, name in (("column", column), ("size", size)):
        if name is not None and name not in df.columns:
            raise ValueError(f"plot_map {key}: {name!r} is not a column of the territories; "
                             f"allowed: one of {sorted(df.columns)}")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 7))
    c = values if values is not None else (df[column].to_numpy() if column else None)
    s = 4.0 if size is None else 2.0 + 300.0 * np.sqrt(df[size].to_numpy(float)
                                                      / df[size].to_numpy(float).max())
    norm = None
    if c is not None and center is not None:
        span = float(np.nanmax(np.abs(np.asarray(c, float) - center))) or 1.0
        norm = mcolors.TwoSlopeNorm(vcenter=center, vmin=center - span, vmax=center + span)
        cmap = "RdBu_r" if cmap == "viridis" else cmap
    sc = ax.scatter(df["lon"], df["lat"], s=s, c=c if c is not None else "tab:blue",
                    cmap=cmap if c is not None else None, norm=norm, alpha=0.8, linewidths=0)
    ax.set_aspect(1.0 / np.cos(np.radians(df["lat"].mean())))
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    if c is not None:
        ax.figure.colorbar(sc, ax=ax, shrink=0.7, label=label or column or "")
    if title:
        ax.set_title(title)
    return ax


def map(res, column: str = "price_m2", *, month: str | None = None, ax=None, **options):
    """A run's column on the map: a column of its territories table in ``month`` (the
    last by default) or of its destabilisation table (e.g. ``price_vs_baseline_pct``).

        migrasim.observation.maps.map(res, "price_m2")     # or res.map("price_m2")
    """
    t = res.territories
    if column in t.columns and column not in ("month", "epci"):
        month = month or t["month"].max()
        rows = t[t["month"] == month]
        if rows.empty:
            raise ValueError(f"month {month!r} is not in this run; allowed: "
                             f"{t['month'].min()}..{t['month'].max()}")
        values, title = rows.set_index("epci")[column], f"{column}, {month}"
    elif column in res.destabilisation.columns and column != "name":
        values, title = res.destabilisation[column], f"{column} at the end of the run"
    else:
        allowed = sorted({*t.columns[2:], *res.destabilisation.columns} - {"name"})
        raise ValueError(f"column {column!r} is not in this run; allowed: one of {allowed}")
    values = values.reindex(res.area.df.index).to_numpy(float)
    options.setdefault("title", title)
    options.setdefault("label", column)
    return plot_map(res.area, ax=ax, values=values, **options)
