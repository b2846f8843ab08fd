"""The fit at the best parameters: ``fit.json``, ``fit.md`` and the figure ``fit.png``.

Each target is compared with its simulated values over seeds: the median and its 10–90 %
band (numpy's default percentile method), the error ``(median − observed) / tolerance`` in
tolerance units, and whether it is met (``|error| ≤ 1``). Targets left out of the fit
(``fitted_on``) are reported apart as out of sample.

The targets are read by duck typing (``name``, ``group``, ``value``, ``tolerance``,
``unit``, ``source``, ``years``, ``mapping``, ``approximate``): this module does not import
``targets``. ``fit.json`` is written last, so its presence means the report is complete.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from migrasim.experiments.files import atomic_write

FITTED_COLOUR = "C0"
OUT_OF_SAMPLE_COLOUR = "C1"


def write(directory: Path, targets: list, sims: pd.DataFrame, meta: dict,
          fitted_on: list[str] | None = None) -> dict:
    """Write ``fit.png``, ``fit.md`` then ``fit.json`` into ``directory`` (created if
    needed) and return the dict written to ``fit.json``.

    ``sims`` has one row per seed and one column per target name (simulated values at the
    best parameters); a target without a column, or with only NaN, is reported as not
    simulated (no median, not met). ``fitted_on`` names the targets the fit used (all of
    them when ``None``); the others are out of sample."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    names = [t.name for t in targets]
    if fitted_on is not None:
        unknown = sorted(set(fitted_on) - set(names))
        if unknown:
            raise ValueError(f"fitted_on names unknown targets: {unknown}")
        fitted = set(fitted_on)
    else:
        fitted = set(names)
    rows = [_row(t, sims, t.name in fitted) for t in targets]
    summary = _summary(rows)
    if fitted_on is not None:
        summary["fitted"] = _summary([r for r in rows if r["fitted"]])
        summary["out_of_sample"] = _summary([r for r in rows if not r["fitted"]])
    else:
        summary["out_of_sample"] = None
    fit = _jsonable({"meta": dict(meta), "targets": rows, "summary": summary})

    fig = _figure(fit["targets"], title=_title(fit["meta"], directory))
    atomic_write(directory / "fit.png",
                 lambda p: fig.savefig(p, format="png", dpi=110, metadata={"Software": None}))
    atomic_write(directory / "fit.md", lambda p: Path(p).write_text(
        _markdown(fit, directory, out_of_sample=fitted_on is not None), encoding="utf-8"))
    atomic_write(directory / "fit.json", lambda p: Path(p).write_text(
        json.dumps(fit, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"))
    return fit


# -- numbers ---------------------------------------------------------------------------------

def _row(t, sims: pd.DataFrame, fitted: bool) -> dict:
    observed, tol = float(t.value), float(t.tolerance)
    if not tol > 0:
        raise ValueError(f"target {t.name}: tolerance must be positive, not {tol}")
    values = (pd.to_numeric(sims[t.name], errors="coerce").to_numpy(dtype=float)
              if t.name in sims.columns else np.array([]))
    values = values[np.isfinite(values)]
    if len(values):
        median = float(np.median(values))
        band_10, band_90 = (float(v) for v in np.percentile(values, [10, 90]))
        error = (median - observed) / tol
        met = bool(abs(error) <= 1)
    else:
        median = band_10 = band_90 = error = None
        met = False
    return {
        "name": t.name,
        "group": getattr(t, "group", None),
        "unit": getattr(t, "unit", None),
        "observed": observed,
        "tolerance": tol,
        "simulated_median": median,
        "band_10": band_10,
        "band_90": band_90,
        "n_seeds": int(len(values)),
        "error_units": error,
        "met": met,
        "approximate": bool(getattr(t, "approximate", False)),
        "fitted": bool(fitted),
        "source": getattr(t, "source", None),
        "years": getattr(t, "years", None),
        "mapping": getattr(t, "mapping", None),
    }


def _summary(rows: list[dict]) -> dict:
    errors = [r["error_units"] for r in rows if r["error_units"] is not None]
    rms = math.sqrt(sum(e * e for e in errors) / len(errors)) if errors else None
    return {"n_met": sum(r["met"] for r in rows), "n_targets": len(rows),
            "rms_error_units": rms}


def _jsonable(x):
    """Plain JSON types: numpy scalars unwrapped, tuples as lists, NaN/inf as null, dates
    in ISO format, anything else as its string."""
    if isinstance(x, Mapping):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, np.ndarray):
        return _jsonable(x.tolist())
    if isinstance(x, str | bytes):
        return x if isinstance(x, str) else x.decode()
    if isinstance(x, Iterable):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, bool) or x is None or isinstance(x, int):
        return x
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, _dt.date | _dt.datetime):
        return x.isoformat()
    return str(x)


# -- text ------------------------------------------------------------------------------------

def _num(x, unit: str | None = None) -> str:
    if x is None:
        return "—"
    s = f"{x:.4g}"
    return f"{s} {unit}" if unit else s


def _cell(x) -> str:
    return str(x).replace("|", "\\|").replace("\n", " ")


def _title(meta: dict, directory: Path) -> str:
    return f"Calibration fit — {meta.get('study') or meta.get('study_name') or directory.name}"


def _meta_lines(meta: dict) -> list[str]:
    lines = []
    for key, value in meta.items():
        if isinstance(value, dict):
            lines.append(f"- {key}:")
            lines += [f"  - {k}: {_num(v) if isinstance(v, float) else v}"
                      for k, v in value.items()]
        else:
            lines.append(f"- {key}: {_num(value) if isinstance(value, float) else value}")
    return lines


def _summary_line(s: dict | None, label: str) -> str:
    if not s or not s["n_targets"]:
        return f"{label}: no targets"
    rms = "—" if s["rms_error_units"] is None else f"{s['rms_error_units']:.2f}"
    return (f"{label}: **{s['n_met']} of {s['n_targets']} met**, "
            f"rms error {rms} tolerance units")


def _table(rows: list[dict]) -> list[str]:
    lines = ["| target | group | observed | simulated median [10–90 %] | tolerance "
             "| error (tol.) | met | fit |",
             "|---|---|---:|---:|---:|---:|:-:|---|"]
    for r in rows:
        if r["simulated_median"] is None:
            sim = "not simulated"
        else:
            sim = (f"{_num(r['simulated_median'])} "
                   f"[{_num(r['band_10'])} – {_num(r['band_90'])}]")
        error = "—" if r["error_units"] is None else f"{r['error_units']:+.2f}"
        name = _cell(r["name"]) + (" ≈" if r["approximate"] else "")
        lines.append(f"| {name} | {_cell(r['group'])} | {_num(r['observed'], r['unit'])} "
                     f"| {sim} | ±{_num(r['tolerance'])} | {error} "
                     f"| {'✓' if r['met'] else '✗'} "
                     f"| {'fitted' if r['fitted'] else 'out of sample'} |")
    return lines


def _markdown(fit: dict, directory: Path, out_of_sample: bool) -> str:
    rows, summary = fit["targets"], fit["summary"]
    out = [f"# {_title(fit['meta'], directory)}", "", *_meta_lines(fit["meta"]), "",
           _summary_line(summary, "All targets")]
    if out_of_sample:
        out += ["", _summary_line(summary["fitted"], "Fitted"), "",
                _summary_line(summary["out_of_sample"], "Out of sample")]
    out += ["", "Error = (simulated median − observed) / tolerance; a target is met when "
            "|error| ≤ 1. ≈ marks an approximate mapping onto the model's outputs.", "",
            *_table(rows), "", "## Not met", ""]
    missed = [r for r in rows if not r["met"]]
    if not missed:
        out.append("Every target is met.")
    for r in missed:
        what = ("not simulated" if r["error_units"] is None
                else f"error {r['error_units']:+.2f} tolerance units")
        line = f"- **{r['name']}** ({what})"
        if r["mapping"]:
            line += f": {' '.join(str(r['mapping']).split())}"
        if r["approximate"]:
            line += " *(the mapping is approximate.)*"
        out.append(line)
    if out_of_sample:
        out += ["", "## Out of sample", "",
                "Targets the fit did not use: how well the fitted model predicts them.", ""]
        held = [r for r in rows if not r["fitted"]]
        out += _table(held) if held else ["None: every target was fitted."]
    out += ["", "## Figure", "", "![Fit in tolerance units](fit.png)", ""]
    return "\n".join(out)


# -- figure ----------------------------------------------------------------------------------

def _figure(rows: list[dict], title: str):
    """Errors in tolerance units, one row per target (top to bottom in the targets' order):
    the observed value at 0 with its ±1 tolerance shaded, the simulated median as a point
    with its 10–90 % band."""
    import matplotlib.pyplot as plt  # matplotlib only when drawing

    fig = plt.Figure(figsize=(8, 1.6 + 0.35 * max(len(rows), 1)))  # no pyplot state, no GUI
    ax = fig.add_subplot()
    ax.axvspan(-1, 1, color="0.85", zorder=0, label="±1 tolerance")
    ax.axvline(0, color="0.3", lw=1, zorder=1, label="observed")
    n = len(rows)
    errors = [abs(r["error_units"]) for r in rows if r["error_units"] is not None]
    extent = max([3.0, *(1.15 * e for e in errors)])  # on the medians: a wide band is clipped
    for i, r in enumerate(rows):
        y = n - 1 - i
        if r["error_units"] is None:
            ax.plot(0, y, marker="x", color="0.5", ls="none")
            continue
        tol, obs = r["tolerance"], r["observed"]
        e = r["error_units"]
        lo, hi = (r["band_10"] - obs) / tol, (r["band_90"] - obs) / tol
        colour = FITTED_COLOUR if r["fitted"] else OUT_OF_SAMPLE_COLOUR
        clo, chi = max(lo, -extent), min(hi, extent)
        ax.errorbar(e, y, xerr=[[max(e - clo, 0)], [max(chi - e, 0)]], fmt="o",
                    color=colour, capsize=3, zorder=3)
        for end, edge, marker in ((lo, -extent, "<"), (hi, extent, ">")):
            if abs(end) > extent:  # the band runs off the axis
                ax.plot(edge, y, marker=marker, color=colour, ls="none", clip_on=False)
    ax.set_yticks(range(n), [r["name"] + (" ≈" if r["approximate"] else "")
                             for r in reversed(rows)])
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlim(-1.1 * extent, 1.1 * extent)
    ax.set_xlabel("(simulated − observed) / tolerance")
    handles, labels = ax.get_legend_handles_labels()
    for colour, label in ((FITTED_COLOUR, "fitted"), (OUT_OF_SAMPLE_COLOUR, "out of sample")):
        if any(r["fitted"] == (label == "fitted") for r in rows):
            handles.append(ax.errorbar([], [], xerr=[], fmt="o", color=colour, capsize=3))
            labels.append(f"simulated median, 10–90 % ({label})")
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8,
              frameon=False)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig
