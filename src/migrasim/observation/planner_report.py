"""The planner's report: one page of Markdown with its figures (and a PDF of both), from
an ensemble whose target is a group of territories (migrasim/report.py runs it)."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.backends.backend_pdf import PdfPages

from migrasim.observation import band_figures
from migrasim.observation.planner import (
    Band,
    cost_per_gain,
    longest_retention,
    paired,
    per_seed,
    retention,
    retention_years,
)
from migrasim.observation.yearly import RETENTION_YEARS
from migrasim.policies import policy_class

if TYPE_CHECKING:
    from migrasim.experiments.ensemble import Ensemble

TARGET, NEXT_DOOR = "target", "neighbours"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *("| " + " | ".join(r) + " |" for r in rows), ""]


def _area_names(ens: Ensemble, key: str) -> str:
    names = ens.area.df["name"]
    codes = ens.areas[ens.reference].get(key) or []
    return ", ".join(str(names.get(c, c)) for c in codes) or "none"


def _policies(specs) -> str:
    """The policies of a scenario with their OPTER sheet, e.g. ``Coworking (Tiers-lieux)``."""
    names = [str(spec["_target_"]) for spec in specs]
    return ", ".join(f"{n.rpartition('.')[2]} ({policy_class(n).sheet})" for n in names) \
        or "none"


def markdown(ens: Ensemble, group: str, images: list[str]) -> str:
    """The report's text: settings, then one table per question, scenario against the
    reference (median [10 %, 90 %] over seeds; differences paired seed by seed)."""
    ind, ref = ens.indicators, ens.reference
    c = ens.configs[ref]
    years = sorted(int(y) for y in ind["year"].unique())
    others = [n for n in ens.scenarios if n != ref]
    profiles = c.model.profiles
    focus = c.territory.focus if hasattr(c.territory, "focus") else None
    lines = [f"# {group}: {', '.join(others) or ref} against {ref}", "",
             f"{len(ens.seeds)} seeds ({ens.seeds[0]}..{ens.seeds[-1]}), common random "
             f"numbers; scale {c.scale:g}" + (f", focus {focus} at {c.territory.focus_scale:g}"
                                             if focus else "")
             + f"; {c.months} months from {c.start} ({years[0]}–{years[-1]}). Figures: median "
             "[10 %, 90 %] over seeds; a difference is the scenario minus the reference for "
             "the same seed (same households, same draws), so its band is the policy's "
             "effect, not noise. Households are real households.", "",
             f"- **Group** ({TARGET}): {_area_names(ens, TARGET)}",
             f"- **Next door** ({NEXT_DOOR}, EPCI within 30 km): {_area_names(ens, NEXT_DOOR)}",
             *(f"- **{n}**: {ens.configs[n].scenario.description} Policies: "
               f"{_policies(ens.configs[n].scenario.policies)}." for n in ens.scenarios),
             ""]

    def diff(name, indicator, area=TARGET, how="sum", years_=None, digits=0, unit=""):
        return Band.of(paired(ind, name, ref, indicator, area, how, years_)).text(digits, unit)

    def level(name, indicator, area=TARGET, how="sum", years_=None, digits=0, unit=""):
        return Band.of(per_seed(ind, name, indicator, area, how, years_)).text(digits, unit)

    lines += ["## Arrivals and departures by profile (over the run)", "",
              "Moves between the group and the rest of the study area (moves from and to "
              "abroad have no profile and are left out here).", ""]
    rows = []
    for p in profiles:
        row = [p, level(ref, f"arrivals_{p}"), level(ref, f"departures_{p}")]
        for name in others:
            row += [diff(name, f"arrivals_{p}"), diff(name, f"departures_{p}")]
        rows.append(row)
    header = ["profile", f"arrivals ({ref})", f"departures ({ref})"]
    for name in others:
        header += [f"Δ arrivals ({name})", f"Δ departures ({name})"]
    lines += _table(header, rows)

    lines += ["## Newcomers still there after 1, 3 and 5 years", ""]
    rows = []
    for k in RETENTION_YEARS:
        cohorts = retention_years(ind, k)
        if not cohorts:
            rows.append([f"{k} y", "no cohort can be followed that long in this run", "",
                         *([""] * len(others))])
            continue
        share = Band.of(retention(ind, ref, TARGET, k) * 100).text(1, " %")
        row = [f"{k} y (arrivals {cohorts[0]}–{cohorts[-1]})",
               level(ref, f"retained_newcomers_{k}y", years_=cohorts), share]
        row += [diff(name, f"retained_newcomers_{k}y", years_=cohorts) for name in others]
        rows.append(row)
    if "retained_newcomers_1y" not in set(ind["indicator"]):
        lines += ["These runs have no newcomer cohorts (Results.cohorts).", ""]
    else:
        lines += _table(["after", f"still there ({ref})", f"share ({ref})",
                         *(f"Δ still there ({n})" for n in others)], rows)

    lines += ["## Prices, rents and displacement", ""]
    rows = []
    for area in (TARGET, NEXT_DOOR):
        rows.append([area, "price since start, % (last year)",
                     level(ref, "price_m2", area, "last", digits=1),
                     *(diff(n, "price_m2", area, "last", digits=2) for n in others)])
        rows.append([area, "rent, €/month (last year)",
                     level(ref, "rent_month", area, "last"),
                     *(diff(n, "rent_month", area, "last", digits=1) for n in others)])
        rows.append([area, "net migration (over the run)",
                     level(ref, "net_migration", area),
                     *(diff(n, "net_migration", area) for n in others)])
        rows.append([area, "displaced households (over the run)",
                     level(ref, "displaced", area, digits=1),
                     *(diff(n, "displaced", area, digits=1) for n in others)])
    lines += _table(["area", "indicator", ref, *(f"Δ {n}" for n in others)], rows)

    lines += ["## Cost", ""]
    if "policy_cost_eur" not in set(ind["indicator"]):
        lines += ["These runs record no policy cost.", ""]
    else:
        k = longest_retention(ind)
        rows = []
        for name in others:
            extra = diff(name, "policy_cost_eur", unit=" €")
            row = [name, level(name, "policy_cost_eur", unit=" €"), extra]
            if k is not None:
                band, none = cost_per_gain(ind, name, ref, f"retained_newcomers_{k}y", TARGET,
                                           years=retention_years(ind, k))
                row.append(band.text(0, " €") + (f" ({none} seeds without a gain)"
                                                 if none else ""))
            else:
                row.append("n/a")
            band, none = cost_per_gain(ind, name, ref, "displaced", TARGET, gain_sign=-1.0)
            row.append(band.text(0, " €") + (f" ({none} seeds without a gain)" if none else ""))
            rows.append(row)
        lines += _table(["scenario", "cost over the run", f"extra cost vs {ref}",
                         f"per extra newcomer still there after {k} y" if k else
                         "per extra retained newcomer", "per displacement avoided"], rows)
        lines += ["A ratio is taken seed by seed over the seeds where the policy gained "
                  "something; the others are counted, not hidden.", ""]
    lines += ["## Figures", "", *(f"![{i}]({i})" for i in images), ""]
    if ens.notes:
        lines += [*(f"Note: {n}." for n in ens.notes), ""]
    return "\n".join(lines)


def figures(ens: Ensemble) -> dict:
    """Price and rent paths with bands in the group and next door, and the paired
    differences of arrivals and departures by profile."""
    out = {}
    present = set(ens.comparison["indicator"])
    paths = [i for i in ("price_m2", "rent_month", "net_migration") if i in present]
    for area in (TARGET, NEXT_DOOR):
        if area in set(ens.comparison["area"]):
            out[f"paths_{area}"] = band_figures.series(ens.comparison, paths, area, False,
                                                       ens.reference)
    others = [n for n in ens.scenarios if n != ens.reference]
    profiles = ens.configs[ens.reference].model.profiles
    if others and TARGET in set(ens.comparison["area"]):
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.4), sharey=True)
        x = np.arange(len(profiles))
        width = 0.8 / len(others)
        for ax, kind in zip(axes, ("arrivals", "departures"), strict=True):
            for i, name in enumerate(others):
                bands_ = [Band.of(paired(ens.indicators, name, ens.reference, f"{kind}_{p}",
                                         TARGET)) for p in profiles]
                mid = np.array([b.q50 for b in bands_])
                err = np.array([[b.q50 - b.q10 for b in bands_], [b.q90 - b.q50 for b in bands_]])
                ax.bar(x + i * width, mid, width, yerr=err, capsize=3, label=name)
            ax.axhline(0.0, color="grey", linewidth=0.8)
            ax.set_xticks(x + width * (len(others) - 1) / 2, profiles, rotation=30,
                          fontsize=8)
            ax.set_title(f"{kind} over the run − {ens.reference} (median, 10-90 %)",
                         fontsize=9)
        axes[0].set_ylabel("households")
        axes[0].legend(fontsize=8)
        fig.tight_layout()
        out["profiles_target"] = fig
    return out


def pdf(path: str, text: str, figs: list) -> None:
    """The report as a PDF: the text on its first page(s), then the figures."""
    lines = [w for line in text.splitlines() for w in (textwrap.wrap(line, 110) or [""])
             if not w.startswith("![")]
    with PdfPages(path) as doc:
        for start in range(0, len(lines), 70):
            page = plt.figure(figsize=(8.27, 11.69))
            page.text(0.04, 0.97, "\n".join(lines[start:start + 70]), va="top",
                      family="monospace", fontsize=6.5)
            doc.savefig(page)
            plt.close(page)
        for fig in figs:
            doc.savefig(fig)
