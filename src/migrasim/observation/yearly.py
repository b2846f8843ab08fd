"""Yearly indicators of one run, over an area or by EPCI: what ensembles reduce to bands
and what ``Results.compare`` pairs.

Over an area (a set of EPCI; the whole study area for ``national``), per calendar year of
the run (a partial last year is not annualised):

* ``population``, ``households``: living in the area at the end of the year;
* ``arrivals``, ``departures``: households moving into the area from an EPCI outside it
  or from abroad, and out of it (so, nationally, only moves to and from abroad);
  ``net_migration`` = arrivals − departures;
* ``price_m2``: change of the price of the area's initial dwellings since the start, %
  (prices weighted by each EPCI's dwellings of the first month);
* ``rent_month``: rent of a typical dwelling at the end of the year, €/month, same weights;
* ``vacancy``: vacant share of the area's dwellings at the end of the year;
* ``displaced``: local households displaced during the year;
* ``newcomers_share``: share of the persons moving into an EPCI of the area from another
  EPCI who come from another département;

* ``arrivals_<profile>``, ``departures_<profile>`` (areas other than ``national``): the
  same moves between EPCI by profile (moves from and to abroad have no profile);

and, when the run has them (policies that cost, cohorts of newcomers):

* ``policy_cost_eur``: the policies' cost during the year (``policy_cost_eur`` column);
* ``retained_newcomers_1y`` (3y, 5y): households that arrived in an EPCI of the area
  during the year (the cohort; ``year`` is the cohort's) and still live there at the end
  of the year 1 (3, 5) years later (``Results.cohorts``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from migrasim.experiments.results import Results

INDICATORS = ("population", "households", "arrivals", "departures", "net_migration",
              "price_m2", "rent_month", "vacancy", "displaced", "newcomers_share")
RETENTION_YEARS = (1, 3, 5)
OPTIONAL = ("policy_cost_eur", *(f"retained_newcomers_{k}y" for k in RETENTION_YEARS))
UNITS = {"population": "persons", "households": "households", "arrivals": "households",
         "departures": "households", "net_migration": "households",
         "price_m2": "% since start", "rent_month": "€/month", "vacancy": "share",
         "displaced": "households", "newcomers_share": "share", "policy_cost_eur": "€",
         **{f"retained_newcomers_{k}y": "households" for k in RETENTION_YEARS}}
# Per EPCI (Results.compare): levels, not changes.
EPCI_INDICATORS = ("population", "households", "arrivals", "departures", "net_migration",
                   "price_m2", "rent_month", "vacancy", "displaced")


def _years(territories: pd.DataFrame) -> pd.Series:
    return territories["month"].str[:4].astype(int)


def _year_ends(territories: pd.DataFrame) -> pd.DataFrame:
    """Rows of each year's last simulated month, with a ``year`` column."""
    t = territories.assign(year=_years(territories))
    return t[t["month"] == t.groupby("year")["month"].transform("max")]


def area(res: Results, codes: Sequence[str] | None) -> pd.DataFrame:
    """Indicators of ``res`` over the EPCI ``codes`` (None: the whole study area), one row
    per indicator and year: columns ``indicator, year, value``."""
    t = res.territories
    years = sorted(_years(t).unique())
    inside = t["epci"].isin(codes) if codes is not None else pd.Series(True, index=t.index)
    sub = t[inside].assign(year=_years(t[inside]))
    first = sub[sub["month"] == t["month"].min()].set_index("epci")["dwellings"]
    start_price = (sub[sub["month"] == t["month"].min()].set_index("epci")["price_m2"]
                   * first).sum() / first.sum()
    end = _year_ends(sub)
    weight = end["epci"].map(first)
    by_end = end.groupby("year")
    values = {
        "population": by_end["population"].sum(),
        "households": by_end["households"].sum(),
        "price_m2": 100.0 * ((end["price_m2"] * weight).groupby(end["year"]).sum()
                             / weight.groupby(end["year"]).sum() / start_price - 1.0),
        "rent_month": ((end["rent_month"] * weight).groupby(end["year"]).sum()
                       / weight.groupby(end["year"]).sum()),
        "vacancy": ((end["vacancy"] * end["dwellings"]).groupby(end["year"]).sum()
                    / by_end["dwellings"].sum()),
        "displaced": sub.groupby("year")["displaced"].sum(),
    }
    arrivals, departures = _boundary_flows(res.flows, sub, codes)
    values.update(arrivals=arrivals, departures=departures,
                  net_migration=arrivals.sub(departures, fill_value=0.0),
                  newcomers_share=_newcomers_share(res, codes))
    if codes is not None:
        values.update(_by_profile(res.flows, codes, res.config.model.profiles))
    if "policy_cost_eur" in t.columns:
        values["policy_cost_eur"] = sub.groupby("year")["policy_cost_eur"].sum()
    values.update(_retained(getattr(res, "cohorts", None), codes))
    counts = {"arrivals", "departures", "net_migration", "displaced", "policy_cost_eur",
              *(k for k in values if k.startswith(("arrivals_", "departures_")))}
    rows = []
    for name, series in values.items():
        series = series.reindex(years, fill_value=0.0) if name in counts else series
        rows.append(pd.DataFrame({"indicator": name, "year": series.index.astype(int),
                                  "value": series.to_numpy(float)}))
    return pd.concat(rows, ignore_index=True)


def _boundary_flows(flows: pd.DataFrame, sub: pd.DataFrame,
                    codes: Sequence[str] | None) -> tuple[pd.Series, pd.Series]:
    """Households a year crossing the area's edge inward and outward (abroad included)."""
    if codes is None:
        arrivals = departures = pd.Series(dtype=float)
    else:
        into, out_of = flows["destination"].isin(codes), flows["origin"].isin(codes)
        arrivals = flows[into & ~out_of].groupby("year")["households"].sum()
        departures = flows[out_of & ~into].groupby("year")["households"].sum()
    if "from_abroad" in sub.columns:
        arrivals = arrivals.add(sub.groupby("year")["from_abroad"].sum(), fill_value=0.0)
    if "to_abroad" in sub.columns:
        departures = departures.add(sub.groupby("year")["to_abroad"].sum(), fill_value=0.0)
    return arrivals, departures


def _by_profile(flows: pd.DataFrame, codes: Sequence[str],
                profiles: Sequence[str]) -> dict[str, pd.Series]:
    """Households a year crossing the area's edge inward and outward, by profile (moves
    between EPCI; moves from and to abroad are not recorded by profile)."""
    into, out_of = flows["destination"].isin(codes), flows["origin"].isin(codes)
    out = {}
    for kind, rows in (("arrivals", flows[into & ~out_of]),
                       ("departures", flows[out_of & ~into])):
        by = rows.groupby(["profile", "year"])["households"].sum()
        for p in profiles:
            out[f"{kind}_{p}"] = by.xs(p, level="profile") if p in by.index.get_level_values(
                "profile") else pd.Series(dtype=float)
    return out


def _newcomers_share(res: Results, codes: Sequence[str] | None) -> pd.Series:
    f = res.flows[res.flows["origin"] != res.flows["destination"]]
    if codes is not None:
        f = f[f["destination"].isin(codes)]
    dep = res.area.df["departement"]
    other = f["origin"].map(dep).to_numpy() != f["destination"].map(dep).to_numpy()
    moved = f.groupby("year")["persons"].sum()
    return f[other].groupby("year")["persons"].sum().reindex(moved.index, fill_value=0.0) \
        / moved.where(moved > 0)


def _retained(cohorts: pd.DataFrame | None, codes: Sequence[str] | None) -> dict:
    if cohorts is None:
        return {}
    c = cohorts if codes is None else cohorts[cohorts["epci"].isin(codes)]
    out = {}
    for k in RETENTION_YEARS:
        later = c[c["year"] == c["cohort"] + k]
        out[f"retained_newcomers_{k}y"] = later.groupby("cohort")["households"].sum()
    return out


def areas(res: Results, named: Mapping[str, Sequence[str] | None]) -> pd.DataFrame:
    """:func:`area` for each named area: columns ``area, indicator, year, value``."""
    return pd.concat([area(res, codes).assign(area=name) for name, codes in named.items()],
                     ignore_index=True)[["area", "indicator", "year", "value"]]


def by_epci(res: Results) -> pd.DataFrame:
    """Yearly levels by EPCI: columns ``epci, year, indicator, value`` (stocks, prices
    and vacancy at the end of the year; flows over it, abroad included)."""
    t = res.territories.assign(year=_years(res.territories))
    end = _year_ends(res.territories).set_index(["epci", "year"])
    total = t.groupby(["epci", "year"])[["arrivals", "departures", "displaced"]].sum()
    for column, extra in (("arrivals", "from_abroad"), ("departures", "to_abroad")):
        if extra in t.columns:
            total[column] += t.groupby(["epci", "year"])[extra].sum()
    wide = end[["population", "households", "price_m2", "rent_month", "vacancy"]].join(total)
    wide["net_migration"] = wide["arrivals"] - wide["departures"]
    tidy = wide[list(EPCI_INDICATORS)].rename_axis(columns="indicator").stack()
    return tidy.rename("value").reset_index()[["epci", "year", "indicator", "value"]]


def run_end(res: Results) -> pd.DataFrame:
    """One row per EPCI at the end of the run, for maps: price change since the start
    (%), households at the end, net migration and displaced households over the run."""
    t = res.territories
    first, last = t[t["month"] == t["month"].min()], t[t["month"] == t["month"].max()]
    first, last = first.set_index("epci"), last.set_index("epci")
    total = t.groupby("epci")[["arrivals", "departures", "displaced"]].sum()
    for column, extra in (("arrivals", "from_abroad"), ("departures", "to_abroad")):
        if extra in t.columns:
            total[column] += t.groupby("epci")[extra].sum()
    out = pd.DataFrame({"price_m2": 100.0 * (last["price_m2"] / first["price_m2"] - 1.0),
                        "households": last["households"],
                        "net_migration": total["arrivals"] - total["departures"],
                        "displaced": total["displaced"]})
    return out.rename_axis("epci").reset_index()


def missing(res: Results) -> list[str]:
    """The optional indicators this run cannot give (its tables lack their columns)."""
    gone = []
    if "policy_cost_eur" not in res.territories.columns:
        gone.append("policy_cost_eur")
    if getattr(res, "cohorts", None) is None:
        gone += [f"retained_newcomers_{k}y" for k in RETENTION_YEARS]
    return gone
