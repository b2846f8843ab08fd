"""Headline indicators and the destabilisation measures, from the tidy tables.

Definitions (also in docs/odd.md):

* mobility rate: persons who moved in a year / population, as % (INSEE: ≈10 %; a
  partial year is annualised);
* within-département share: moves whose origin and destination EPCI share a main
  département, including moves inside an EPCI (INSEE: two moves in three stay close);
* Île-de-France net migration: persons arriving in région 11 from other régions minus
  persons leaving it, per year (INSEE: about −100,000 a year before COVID);
* moves by urban-hierarchy class of origin and destination (shares of all moves);
* population by région at the end of each year (persons);
* moves by distance band, per year: within the EPCI, under 20 km, 20–100 km, over
  100 km between the centroids of origin and destination (shares of persons moving);
* price index by région and for the whole area (``FR``), per year: the yearly mean
  price of the initial dwellings, 100 in 2019 (or in the first simulated year);
* destabilisation, per EPCI, at the end of the run: price change against the baseline
  path (%), price-to-income ratio (years of local median income for a typical dwelling),
  displaced local households, newcomers' share of arrivals (arrivals from another
  département), and the small-flows elasticity: % price change against the baseline
  per 1 % of the stock taken by the extra arrivals;
* retention of newcomers: of the households that arrived in an EPCI during year c (from
  another EPCI or from abroad: the ``arrivals`` and ``from_abroad`` columns), the share
  still living there at the end of year c + k (the ``cohorts`` table of the records).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from migrasim.ages import AGE_CLASSES
from migrasim.kernels.decision import REASONS
from migrasim.territories import Territories
from migrasim.territories.classification import IDF


def _year(territories: pd.DataFrame) -> pd.Series:
    return territories["month"].str[:4].astype(int)


def mobility(territories: pd.DataFrame, flows: pd.DataFrame) -> pd.Series:
    """Persons moving per year as % of the mean population of that year (a partial year
    is annualised from its simulated months)."""
    monthly = territories.assign(year=_year(territories)).groupby(
        ["year", "month"])["population"].sum().groupby("year").mean()
    months = _months_per_year(territories)
    moved = flows.groupby("year")["persons"].sum().reindex(months.index, fill_value=0.0)
    return 100 * (moved * 12.0 / months) / monthly  # a year without a move: 0 %, not NaN


def _with_geo(flows: pd.DataFrame, t: Territories) -> pd.DataFrame:
    geo = t.df[["departement", "region", "hierarchy"]]
    return flows.join(geo, on="origin").join(geo.add_suffix("_dest"), on="destination")


def within_departement_share(flows: pd.DataFrame, t: Territories) -> float:
    f = _with_geo(flows, t)
    return float(f.loc[f["departement"] == f["departement_dest"], "persons"].sum()
                 / f["persons"].sum())


def _months_per_year(territories: pd.DataFrame) -> pd.Series:
    return territories["month"].drop_duplicates().str[:4].astype(int).value_counts()


def idf_net_migration(flows: pd.DataFrame, t: Territories,
                      territories: pd.DataFrame) -> pd.Series:
    """Persons a year (a partial year annualised)."""
    f = _with_geo(flows, t)
    inn = f[(f["region_dest"] == IDF) & (f["region"] != IDF)].groupby("year")["persons"].sum()
    out = f[(f["region"] == IDF) & (f["region_dest"] != IDF)].groupby("year")["persons"].sum()
    months = _months_per_year(territories).sort_index()
    return inn.sub(out, fill_value=0.0).reindex(months.index, fill_value=0.0) * 12.0 / months


DISTANCE_BANDS = ("within_epci", "under_20km", "20_to_100km", "over_100km")


def population_by_region(territories: pd.DataFrame, t: Territories) -> dict:
    """Persons living in each région at the end of each year (its last simulated month):
    {région: {year: persons}}."""
    year = _year(territories)
    last = territories[territories["month"] == territories.groupby(year)["month"]
                       .transform("max")]
    region = last["epci"].map(t.df["region"])
    table = last.groupby([region, _year(last)])["population"].sum()
    return {str(r): {int(y): float(v) for y, v in table[r].items()}
            for r in table.index.get_level_values(0).unique()}


def moves_by_distance_band(flows: pd.DataFrame, t: Territories) -> pd.DataFrame:
    """Share of each year's moves (persons) by distance between the centroids of origin
    and destination EPCI: within the EPCI, under 20 km, 20 to 100 km, over 100 km."""
    index = {c: i for i, c in enumerate(t.codes)}
    o = np.array([index[c] for c in flows["origin"]], dtype=np.int64)
    d = np.array([index[c] for c in flows["destination"]], dtype=np.int64)
    km = t.distance_km[o, d]
    band = np.select([o == d, km < 20.0, km <= 100.0], DISTANCE_BANDS[:3], DISTANCE_BANDS[3])
    table = flows.assign(band=band).pivot_table(index="year", columns="band", values="persons",
                                                aggfunc="sum", fill_value=0.0)
    table = table.reindex(columns=list(DISTANCE_BANDS), fill_value=0.0)
    return table.div(table.sum(axis=1), axis=0)


def long_moves_by_age(flows: pd.DataFrame, t: Territories, km: float = 100.0) -> pd.DataFrame:
    """Share of each year's moves of more than ``km`` between centroids (persons) made by
    each age class of the reference person: rows years, columns age classes."""
    index = {c: i for i, c in enumerate(t.codes)}
    o = np.array([index[c] for c in flows["origin"]], dtype=np.int64)
    d = np.array([index[c] for c in flows["destination"]], dtype=np.int64)
    long = flows[t.distance_km[o, d] > km]
    table = long.pivot_table(index="year", columns="age_class", values="persons",
                             aggfunc="sum", fill_value=0.0)
    table = table.reindex(index=sorted(flows["year"].unique()), columns=list(AGE_CLASSES),
                          fill_value=0.0)
    total = table.sum(axis=1)
    return table.div(total.where(total > 0), axis=0).fillna(0.0)


def moves_by_reason(flows: pd.DataFrame) -> pd.DataFrame:
    """Share of each year's moves (persons) within the area by reason: rows years,
    columns reasons (arrivals from abroad are not moves within the area: they are the
    ``from_abroad`` column of the territories table)."""
    table = flows.pivot_table(index="year", columns="reason", values="persons",
                              aggfunc="sum", fill_value=0.0)
    reasons = [r for r in REASONS[1:] if r != "from_abroad"]
    table = table.reindex(columns=reasons, fill_value=0.0)
    return table.div(table.sum(axis=1), axis=0)


def price_index_by_region(territories: pd.DataFrame, t: Territories) -> dict:
    """Yearly mean price of the initial dwellings (prices weighted by each EPCI's dwellings
    of the first month), by région and for the whole area (``FR``), as an index: 100 in
    2019, or in the first simulated year when the run starts later.
    {région or FR: {year: index}}."""
    first = territories[territories["month"] == territories["month"].min()]
    weight = territories["epci"].map(first.set_index("epci")["dwellings"])
    value = territories.assign(year=_year(territories), value=territories["price_m2"] * weight,
                               weight=weight, region=territories["epci"].map(t.df["region"]))
    out = {}
    for key, rows in [*value.groupby("region"), ("FR", value)]:
        monthly = rows.groupby(["year", "month"])[["value", "weight"]].sum()
        price = (monthly["value"] / monthly["weight"]).groupby(level="year").mean()
        base = price[2019] if 2019 in price.index else price.iloc[0]
        out[str(key)] = {int(y): round(float(100 * v / base), 3) for y, v in price.items()}
    return out


def hierarchy_matrix(flows: pd.DataFrame, t: Territories) -> pd.DataFrame:
    """Share of moves (persons) by class of origin (rows) and destination (columns)."""
    f = _with_geo(flows, t)
    m = f.pivot_table(index="hierarchy", columns="hierarchy_dest", values="persons",
                      aggfunc="sum", fill_value=0.0)
    return m / m.to_numpy().sum()


def destabilisation(run: pd.DataFrame, base: pd.DataFrame | None, t: Territories) -> pd.DataFrame:
    """Per-EPCI destabilisation measures at the end of the run (see module docstring)."""
    last = run["month"].max()
    end = run[run["month"] == last].set_index("epci")
    df = t.df
    out = pd.DataFrame(index=df.index)
    out["name"] = df["name"]
    out["price_change_pct"] = 100 * (end["price_m2"] / df["price_m2"] - 1)
    out["price_to_income_years"] = (end["price_m2"] * df["dwelling_m2"]
                                    / (12 * df["income_month"]))
    total = run.groupby("epci")[["displaced", "arrivals"]].sum()
    out["displaced"] = total["displaced"]
    out["arrivals"] = total["arrivals"]
    if base is not None:
        bend = base[base["month"] == last].set_index("epci")
        btotal = base.groupby("epci")["arrivals"].sum()
        out["price_vs_baseline_pct"] = 100 * (end["price_m2"] / bend["price_m2"] - 1)
        stock = run[run["month"] == run["month"].min()].set_index("epci")["dwellings"]
        extra = 100 * (total["arrivals"] - btotal) / stock
        out["extra_arrivals_pct_stock"] = extra
        # aligned by EPCI code, not by position (the study area need not be in code order)
        out["small_flows_elasticity"] = (out["price_vs_baseline_pct"] / extra).where(extra > 0.1)
        out["displaced_vs_baseline"] = total["displaced"] - base.groupby("epci")["displaced"].sum()
    return out


def retention(cohorts: pd.DataFrame, territories: pd.DataFrame,
              epci: Iterable[str] | None = None) -> pd.DataFrame:
    """Newcomers retained: cohorts(c, c + k) / arrivals during year c, summed over the
    EPCI ``epci`` (every EPCI if None). One row per cohort c and k = 0, 1, …: ``cohort``,
    ``years`` (k), ``arrivals``, ``households`` (still there at the end of c + k),
    ``retention``. Arrivals are counted over the simulated months of c."""
    t = territories if epci is None else territories[territories["epci"].isin(list(epci))]
    c = cohorts if epci is None else cohorts[cohorts["epci"].isin(list(epci))]
    came = [col for col in ("arrivals", "from_abroad") if col in t]
    arrivals = t[came].sum(axis=1).groupby(_year(t)).sum().rename("arrivals")
    out = c.groupby(["cohort", "year"], as_index=False)["households"].sum()
    out = out.join(arrivals, on="cohort")
    out.insert(1, "years", out.pop("year") - out["cohort"])
    out["retention"] = out["households"] / out["arrivals"]
    return out[["cohort", "years", "arrivals", "households", "retention"]]


def newcomers_share(flows: pd.DataFrame, t: Territories) -> pd.Series:
    f = _with_geo(flows, t)
    f = f[f["origin"] != f["destination"]]
    outside = f["departement"] != f["departement_dest"]
    arr = f.groupby("destination")["persons"].sum()
    return (f[outside].groupby("destination")["persons"].sum() / arr).reindex(
        t.df.index).fillna(0.0)


def summary(run: pd.DataFrame, flows: pd.DataFrame, t: Territories,
            destab: pd.DataFrame, top: int = 10) -> dict:
    rate = mobility(run, flows)
    idf = idf_net_migration(flows, t, run)
    hm = hierarchy_matrix(flows, t)
    key = "price_vs_baseline_pct" if "price_vs_baseline_pct" in destab else "price_change_pct"
    worst = destab.sort_values(key, ascending=False).head(top)
    return {
        "moves_per_year_pct_population": {int(k): round(float(v), 3) for k, v in rate.items()},
        "within_departement_share": round(within_departement_share(flows, t), 4),
        "within_epci_share": round(float(flows.loc[flows["origin"] == flows["destination"],
                                                   "persons"].sum() / flows["persons"].sum()), 4),
        # null, not 0, when Île-de-France is outside the study area
        "idf_net_migration_per_year": {int(k): round(float(v)) for k, v in idf.items()}
        if (t.df["region"] == IDF).any() else None,
        "moves_by_hierarchy_share": {o: {d: round(float(v), 4) for d, v in row.items()}
                                     for o, row in hm.iterrows()},
        "population_by_region_per_year": {r: {y: round(v) for y, v in years.items()}
                                          for r, years in population_by_region(run, t).items()},
        "moves_by_distance_band_share": {
            int(y): {b: round(float(v), 4) for b, v in row.items()}
            for y, row in moves_by_distance_band(flows, t).iterrows()},
        "long_moves_by_age_share": {
            int(y): {a: round(float(v), 4) for a, v in row.items()}
            for y, row in long_moves_by_age(flows, t).iterrows()},
        "moves_by_reason_share": {
            int(y): {r: round(float(v), 4) for r, v in row.items()}
            for y, row in moves_by_reason(flows).iterrows()},
        "price_index_by_region_per_year": price_index_by_region(run, t),
        "most_destabilised": [
            {"epci": code, **{k: (None if pd.isna(v) else (round(float(v), 3)
                                                          if not isinstance(v, str) else v))
                              for k, v in row.items()}}
            for code, row in worst.iterrows()],
        "ranked_by": key,
    }
