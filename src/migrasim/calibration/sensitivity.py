"""Morris screening (elementary effects, SALib) of the calibration parameters.

Which parameters move which targets, in tolerance units: a parameter that moves no target
by a fair part of its tolerance is not identified by the targets, and the fit cannot pin
it down.

Scale of the results. SALib's elementary effect is ``Δy / Δ`` with ``Δ`` the Morris step
as a fraction of the parameter's range (``levels / (2 (levels − 1))``, 2/3 for 4 levels;
the range is taken in log space for a ``log`` parameter). So ``mu_star`` is the mean
absolute shift of the target, extrapolated linearly to a move of the parameter across its
whole range, and here it is divided by the target's tolerance: ``mu_star = 2`` means that
sweeping the parameter from ``low`` to ``high`` shifts the target by about two tolerances.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.sample import morris as morris_sample

from migrasim.experiments.files import atomic_write

COLUMNS = ["parameter", "target", "mu", "mu_star", "sigma", "mu_star_conf", "tolerance"]


def morris(space: list, evaluate: Callable[[dict[str, float]], dict[str, float]],
           targets: list, trajectories: int = 8, levels: int = 4, seed: int = 1,
           map_fn: Callable | None = None) -> pd.DataFrame:
    """Morris screening: ``trajectories × (len(space) + 1)`` calls of ``evaluate``, one
    after the other, or through ``map_fn(evaluate, list_of_values)`` (e.g. a process
    pool's ``map``, which must keep the order; ``evaluate`` must then be picklable).

    ``space``: objects with ``name``, ``low``, ``high``, ``log`` (log-uniform: sampled in
    log space then exponentiated). ``evaluate(values)`` takes ``{parameter: value}`` and
    returns ``{target name: simulated value}`` (averaged over seeds by the caller).
    ``targets``: objects with ``name`` and ``tolerance``.

    Returns one row per (parameter, target): ``mu`` (signed), ``mu_star``, ``sigma`` and
    ``mu_star_conf`` (95 % bootstrap half-width), all in tolerance units of the target, and
    the target's ``tolerance``."""
    if not space:
        raise ValueError("the space has no parameters")
    names = [p.name for p in space]
    bounds = []
    for p in space:
        low, high = float(p.low), float(p.high)
        if not low < high:
            raise ValueError(f"parameter {p.name}: low {low} must be below high {high}")
        if getattr(p, "log", False):
            if low <= 0:
                raise ValueError(f"parameter {p.name}: a log parameter needs low > 0")
            low, high = math.log(low), math.log(high)
        bounds.append([low, high])
    tolerances = {t.name: float(t.tolerance) for t in targets}
    for name, tol in tolerances.items():
        if not tol > 0:
            raise ValueError(f"target {name}: tolerance must be positive, not {tol}")
    problem = {"num_vars": len(space), "names": names, "bounds": bounds}
    X = morris_sample.sample(problem, trajectories, num_levels=levels, seed=seed)
    logs = np.array([bool(getattr(p, "log", False)) for p in space])
    lows = np.array([float(p.low) for p in space])
    highs = np.array([float(p.high) for p in space])
    values = np.clip(np.where(logs, np.exp(X), X), lows, highs)  # exp(log(high)) may overshoot
    points = [{n: float(v) for n, v in zip(names, row, strict=True)} for row in values]
    outputs = list((map_fn or map)(evaluate, points))
    if len(outputs) != len(points):
        raise ValueError(f"map_fn returned {len(outputs)} results for {len(points)} points")
    Y = np.empty((len(X), len(tolerances)))
    for i, out in enumerate(outputs):
        missing = [t for t in tolerances if t not in out]
        if missing:
            raise KeyError(f"evaluate returned no value for targets {missing}")
        Y[i] = [float(out[t]) for t in tolerances]
    records = []
    for j, (target, tol) in enumerate(tolerances.items()):
        res = morris_analyze.analyze(problem, X, Y[:, j], num_levels=levels, seed=seed,
                                     print_to_console=False)
        for k, parameter in enumerate(names):
            records.append({
                "parameter": parameter, "target": target,
                "mu": float(res["mu"][k]) / tol,
                "mu_star": float(res["mu_star"][k]) / tol,
                "sigma": float(res["sigma"][k]) / tol,
                "mu_star_conf": float(res["mu_star_conf"][k]) / tol,
                "tolerance": tol,
            })
    return pd.DataFrame.from_records(records, columns=COLUMNS)


def ranking(df: pd.DataFrame, how: str = "sum") -> pd.Series:
    """Per parameter, the sum (``how="sum"``) or the largest (``how="max"``) over targets
    of ``mu_star`` in tolerance units, most influential first."""
    if how not in ("sum", "max"):
        raise ValueError(f"how must be 'sum' or 'max', not {how!r}")
    g = df.groupby("parameter", sort=False)["mu_star"]
    out = g.sum(min_count=1) if how == "sum" else g.max()
    return out.sort_values(ascending=False, kind="stable").rename(f"mu_star_{how}")


def unidentified(df: pd.DataFrame, threshold: float = 0.5) -> list[str]:
    """Parameters whose ``mu_star`` (tolerance units) is below ``threshold`` on every target:
    the targets do not pin them down (a NaN effect counts as not pinning down)."""
    pins = (df["mu_star"] >= threshold).groupby(df["parameter"], sort=False).any()
    return [p for p, pinned in pins.items() if not pinned]


def write(directory: Path, df: pd.DataFrame, threshold: float = 0.5) -> None:
    """``sensitivity.png`` (heatmap), ``sensitivity.md`` (ranking and the unidentified
    parameters), then ``sensitivity.json`` (the records of ``df``) into ``directory``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    fig = _heatmap(df, threshold)
    atomic_write(directory / "sensitivity.png",
                 lambda p: fig.savefig(p, format="png", dpi=110, metadata={"Software": None}))
    atomic_write(directory / "sensitivity.md", lambda p: Path(p).write_text(
        _markdown(df, threshold), encoding="utf-8"))
    records = [{k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                for k, v in r.items()} for r in df.to_dict(orient="records")]
    atomic_write(directory / "sensitivity.json", lambda p: Path(p).write_text(
        json.dumps(records, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"))


def _fmt(x: float) -> str:
    return "—" if not np.isfinite(x) else f"{x:.2f}"


def _markdown(df: pd.DataFrame, threshold: float) -> str:
    total, peak = ranking(df, "sum"), ranking(df, "max")
    strongest = {p: g.loc[g["mu_star"].idxmax(), "target"]
                 for p, g in df.groupby("parameter", sort=False)
                 if (g["mu_star"] >= threshold).any()}
    out = ["# Sensitivity (Morris screening)", "",
           "μ* = mean absolute elementary effect, in tolerance units of the target: the shift "
           "of the target when the parameter sweeps its whole range (log range for log "
           "parameters), linearly extrapolated from the Morris steps.", "",
           "## Ranking", "",
           "| parameter | Σ μ* over targets | max μ* | on target |",
           "|---|---:|---:|---|"]
    for p, s in total.items():
        out.append(f"| {p} | {_fmt(s)} | {_fmt(peak[p])} | {strongest.get(p, '—')} |")
    lost = unidentified(df, threshold)
    out += ["", "## Unidentified parameters", "",
            f"Parameters whose μ* is below {threshold:g} tolerance units on every target "
            "(the targets do not pin them down):", ""]
    out += [f"- {p}" for p in lost] if lost else ["None."]
    table = df.pivot(index="parameter", columns="target", values="mu_star")
    table = table.loc[list(total.index), list(dict.fromkeys(df["target"]))]
    out += ["", "## μ* by parameter and target (tolerance units)", "",
            "| parameter | " + " | ".join(map(str, table.columns)) + " |",
            "|---|" + "---:|" * len(table.columns)]
    for p, row in table.iterrows():
        out.append(f"| {p} | " + " | ".join(_fmt(v) for v in row) + " |")
    out += ["", "![Sensitivity heatmap](sensitivity.png)", ""]
    return "\n".join(out)


def _heatmap(df: pd.DataFrame, threshold: float):
    import matplotlib.pyplot as plt  # matplotlib only when drawing

    order = list(ranking(df).index)
    cols = list(dict.fromkeys(df["target"]))
    table = df.pivot(index="parameter", columns="target", values="mu_star").loc[order, cols]
    data = table.to_numpy(dtype=float)
    fig = plt.Figure(figsize=(1.2 + 0.8 * len(cols), 1.2 + 0.45 * len(order)))
    ax = fig.add_subplot()
    finite = data[np.isfinite(data)]
    vmax = max(1.0, float(finite.max()) if finite.size else 1.0)
    im = ax.imshow(data, cmap="viridis", vmin=0, vmax=vmax, aspect="auto")
    for i in range(data.shape[0]):
        for j in range(data.shape[1]):
            v = data[i, j]
            light = np.isfinite(v) and v > 0.6 * vmax
            ax.text(j, i, _fmt(v) if v < 100 or not np.isfinite(v) else f"{v:.0f}",
                    ha="center", va="center", fontsize=7,
                    color="black" if light else "white",
                    fontweight="bold" if np.isfinite(v) and v >= threshold else "normal")
    ax.set_xticks(range(len(cols)), cols, rotation=45, ha="right")
    ax.set_yticks(range(len(order)), order)
    fig.colorbar(im, ax=ax, label="μ* / tolerance")
    ax.set_title("Morris μ* in tolerance units", fontsize=10)
    fig.tight_layout()
    return fig
