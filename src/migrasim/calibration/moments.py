"""Each calibration target's simulated value (its *moment*), from a run's tidy tables.

A moment reads the ``covid`` run of a trial (2019-01 onwards): targets of 2019 read its
first year, those of 2020 its second, the 2019→2021 changes its first and third. The
tables are already weighted to real units, so a moment does not depend on the scale.

Conventions, after the sources (INSEE census, POPSU / La Poste):

* a move is counted in **persons** (the flows table's ``persons``), as the sources do;
* a move inside one EPCI is a move (INSEE's mobility rate and POPSU's shares count moves
  inside a commune); it is never a move between départements, régions or classes;
* arrivals from abroad are not in the flows table (its ``from_abroad`` reason is never
  recorded), so no moment counts them;
* "big cities" (POPSU: at least 200,000 inhabitants) are the classes ``paris``,
  ``metropole`` and ``large_urban``; "urban" adds ``medium``; "rural" is ``small_rural``;
* a relative change is ``value_2021 / value_2019 - 1``; a change of a share is the
  difference of the two shares (0.009 = +0.9 point).

A run that does not simulate the whole of a year a moment needs is refused in one line.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from migrasim.observation import indicators
from migrasim.territories.classification import HIERARCHY, IDF, URBAN

if TYPE_CHECKING:
    from migrasim.experiments.results import Results

BIG = HIERARCHY[:3]  # paris, metropole, large_urban: EPCI of at least 200,000 inhabitants
RURAL = "small_rural"
OVERSEAS = ("01", "02", "03", "04", "06")  # régions outside metropolitan France
RANK = {c: i for i, c in enumerate(HIERARCHY)}  # 0 = most populous class


class CoverageError(ValueError):
    """A moment needs a year the run does not cover in full (one line)."""


# One joined flows table per Results (and per flows table), built once for all moments.
_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _flows(res: Results, *years: int) -> pd.DataFrame:
    """The run's flows with the origin's and destination's département, région and class
    (suffix ``_dest``) and their class ranks, after checking the run covers ``years``."""
    _check_years(res, years)
    cached = _CACHE.get(res)
    if cached is None or cached[0] is not res.flows:
        f = indicators._with_geo(res.flows, res.area)
        f["rank"] = f["hierarchy"].map(RANK).to_numpy(np.int64)
        f["rank_dest"] = f["hierarchy_dest"].map(RANK).to_numpy(np.int64)
        cached = (res.flows, f)
        _CACHE[res] = cached
    return cached[1]


def _check_years(res: Results, years: Iterable[int]) -> None:
    months = res.territories["month"].drop_duplicates()
    per_year = months.str[:4].astype(int).value_counts()
    for year in years:
        if per_year.get(year, 0) < 12:
            covered = f"{months.min()}..{months.max()}" if len(months) else "no month"
            raise CoverageError(f"calibration moment: needs the whole year {year}; "
                                f"the run covers {covered}")


def _persons(f: pd.DataFrame, year: int, mask: pd.Series | None = None) -> float:
    rows = f["year"] == year
    if mask is not None:
        rows &= mask
    return float(f.loc[rows, "persons"].sum())


def _share(f: pd.DataFrame, year: int, mask: pd.Series) -> float:
    total = _persons(f, year)
    return _persons(f, year, mask) / total if total > 0 else float("nan")


def _change(f: pd.DataFrame, mask: pd.Series, before: int = 2019, after: int = 2021) -> float:
    base = _persons(f, before, mask)
    return _persons(f, after, mask) / base - 1.0 if base > 0 else float("nan")


# --- masks on the joined flows ---------------------------------------------------------

def _idf_departures(f: pd.DataFrame) -> pd.Series:
    return ((f["region"] == IDF) & (f["region_dest"] != IDF)
            & ~f["region_dest"].isin(OVERSEAS))


def _idf_arrivals(f: pd.DataFrame) -> pd.Series:
    return ((f["region_dest"] == IDF) & (f["region"] != IDF) & ~f["region"].isin(OVERSEAS))


def _big_to_big(f: pd.DataFrame) -> pd.Series:
    return f["hierarchy"].isin(BIG) & f["hierarchy_dest"].isin(BIG)


def _to_rural(f: pd.DataFrame) -> pd.Series:
    return f["hierarchy_dest"] == RURAL


# --- the moments -----------------------------------------------------------------------

def mobility_2019(res: Results) -> float:
    """Persons moving in 2019 (inside an EPCI included) as % of the mean 2019 population."""
    _check_years(res, [2019])
    return float(indicators.mobility(res.territories, res.flows)[2019])


def mobility_2021(res: Results) -> float:
    """Persons moving in 2021 (inside an EPCI included) as % of the mean 2021 population."""
    _check_years(res, [2021])
    return float(indicators.mobility(res.territories, res.flows)[2021])


def within_departement_share_2019(res: Results) -> float:
    """Share of 2019 movers (persons) whose origin and destination EPCI are in the same
    main département, moves inside an EPCI included."""
    _flows(res, 2019)  # checks the year
    flows = res.flows[res.flows["year"] == 2019]
    return indicators.within_departement_share(flows, res.area)


def young_change_departement_2019(res: Results) -> float:
    """Share of 2019 movers (persons) in households whose reference person is under 30 that
    change département."""
    f = _flows(res, 2019)
    young = f["age_class"] == "under_30"
    total = _persons(f, 2019, young)
    moved = _persons(f, 2019, young & (f["departement"] != f["departement_dest"]))
    return moved / total if total > 0 else float("nan")


def idf_departures_2019(res: Results) -> float:
    """Persons leaving Île-de-France for another metropolitan région in 2019."""
    f = _flows(res, 2019)
    return _persons(f, 2019, _idf_departures(f))


def idf_arrivals_2019(res: Results) -> float:
    """Persons arriving in Île-de-France from another metropolitan région in 2019."""
    f = _flows(res, 2019)
    return _persons(f, 2019, _idf_arrivals(f))


def within_epci_share_2019(res: Results) -> float:
    """Share of 2019 movers (persons) whose origin and destination are the same EPCI."""
    f = _flows(res, 2019)
    return _share(f, 2019, f["origin"] == f["destination"])


def rural_destination_share_2019(res: Results) -> float:
    """Share of 2019 movers (persons, moves inside an EPCI included) whose destination is a
    ``small_rural`` EPCI."""
    f = _flows(res, 2019)
    return _share(f, 2019, _to_rural(f))


def big_to_big_share_2019(res: Results) -> float:
    """Share of 2019 movers (persons, moves inside an EPCI included) whose origin and
    destination are both big-city EPCI (paris, metropole, large_urban)."""
    f = _flows(res, 2019)
    return _share(f, 2019, _big_to_big(f))


def idf_departures_change(res: Results) -> float:
    """Relative change 2019→2021 of the persons leaving Île-de-France for another
    metropolitan région."""
    f = _flows(res, 2019, 2021)
    return _change(f, _idf_departures(f))


def to_smaller_urban_change(res: Results) -> float:
    """Relative change 2019→2021 of the persons moving from an urban EPCI to an urban EPCI
    of a less populous class (paris > metropole > large_urban > medium)."""
    f = _flows(res, 2019, 2021)
    urban = f["hierarchy"].isin(URBAN) & f["hierarchy_dest"].isin(URBAN)
    return _change(f, urban & (f["rank_dest"] > f["rank"]))


def urban_to_rural_change(res: Results) -> float:
    """Relative change 2019→2021 of the persons moving from an urban EPCI (paris,
    metropole, large_urban, medium) to a ``small_rural`` one."""
    f = _flows(res, 2019, 2021)
    return _change(f, f["hierarchy"].isin(URBAN) & _to_rural(f))


def rural_to_urban_change(res: Results) -> float:
    """Relative change 2019→2021 of the persons moving from a ``small_rural`` EPCI to an
    urban one."""
    f = _flows(res, 2019, 2021)
    return _change(f, (f["hierarchy"] == RURAL) & f["hierarchy_dest"].isin(URBAN))


def big_city_destination_share_2020(res: Results) -> float:
    """Share of 2020 movers (persons, moves inside an EPCI included) whose destination is a
    big-city EPCI (paris, metropole, large_urban)."""
    f = _flows(res, 2020)
    return _share(f, 2020, f["hierarchy_dest"].isin(BIG))


def rural_destination_share_change(res: Results) -> float:
    """Share of 2020 movers going to a ``small_rural`` EPCI minus that share in 2019."""
    f = _flows(res, 2019, 2020)
    mask = _to_rural(f)
    return _share(f, 2020, mask) - _share(f, 2019, mask)


def big_to_big_share_change(res: Results) -> float:
    """Share of 2020 movers from a big-city EPCI to a big-city EPCI minus that share in
    2019."""
    f = _flows(res, 2019, 2020)
    mask = _big_to_big(f)
    return _share(f, 2020, mask) - _share(f, 2019, mask)


MOMENTS: dict[str, Callable[[Results], float]] = {fn.__name__: fn for fn in (
    mobility_2019, mobility_2021, within_departement_share_2019,
    young_change_departement_2019, idf_departures_2019, idf_arrivals_2019,
    within_epci_share_2019, rural_destination_share_2019, big_to_big_share_2019,
    idf_departures_change, to_smaller_urban_change, urban_to_rural_change,
    rural_to_urban_change, big_city_destination_share_2020,
    rural_destination_share_change, big_to_big_share_change)}


def compute(res: Results, names: Iterable[str] | None = None) -> dict[str, float]:
    """The moments ``names`` (all of them by default) of the run ``res``."""
    names = list(MOMENTS) if names is None else list(names)
    unknown = [n for n in names if n not in MOMENTS]
    if unknown:
        raise KeyError(f"calibration moment: unknown {unknown}; known: {sorted(MOMENTS)}")
    out = {}
    for n in names:
        try:
            out[n] = float(MOMENTS[n](res))
        except CoverageError as e:  # name the moment: "calibration moment NAME: needs ..."
            raise CoverageError(str(e).replace("calibration moment:",
                                               f"calibration moment {n}:", 1)) from None
    return out
