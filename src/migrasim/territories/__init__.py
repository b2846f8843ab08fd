"""Territories: France's intercommunalités (EPCI) with their housing and attractiveness priors.

``load()`` reads the shipped tables (built by ``python -m migrasim.territories.data.build``),
keeps the study area, adds the modelled priors and applies the user's overrides::

    import migrasim
    t = migrasim.territories.load()                      # metropolitan France, 1,232 EPCI
    t = migrasim.territories.load(overrides="dvf.csv")   # your prices by EPCI code
    t.df.loc["200054781", "price_m2"]                    # Métropole du Grand Paris
    t.select(group="petr_haut_rouergue")                 # positions, for the kernels

A study area may have a *focus*: territories simulated at a finer scale than the rest
(``territory.focus``, ``territory.focus_scale``; docs/focus.md), marked by ``focus``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import OmegaConf

from migrasim.errors import ConfigError, TerritoryDataError
from migrasim.params import suggest
from migrasim.territories import priors
from migrasim.territories.classification import AREAS, HIERARCHY, KINDS
from migrasim.territories.data.names import normalise
from migrasim.territories.geo import distance_matrix_km, haversine_km

SHIPPED = Path(__file__).parent / "data" / "shipped"
CONFIG = Path(__file__).parents[1] / "configs" / "territory" / "default.yaml"

IDENTITY = ("name", "kind", "departement", "region", "zone", "hierarchy", "pole", "border_pole")
# Columns the model derives the priors from: overriding them re-derives the priors.
BASE = ("population", "n_communes", "lat", "lon", "centroid_quality", "dist_metropole_km",
        "dist_paris_km", *priors.GEOGRAPHY)
# Counts, summed when commune-level data are aggregated to EPCI; the rest are
# population-weighted means.
EXTENSIVE = ("population", "households", "dwellings", "main_residences", "vacant", "secondary")
SIGNED_RANGES = {"lat": (-90.0, 90.0), "lon": (-180.0, 180.0),
                 "altitude_m": priors.GEOGRAPHY["altitude_m"]}
# Columns an override file may set: any other name would be carried along unread.
OVERRIDABLE = (*BASE, *priors.RANGES)
# Strictly positive (design): an EPCI without people or dwellings, or a zero price, rent
# or income, gives NaN prices and rents (divisions, logarithms) in every month.
POSITIVE = ("population", "n_communes", "households", "dwellings", "main_residences",
            "price_m2", "rent_m2", "rent_month", "income_month")
POLE_COLUMNS = ("name", "country", "geonameid", "lat", "lon", "population")
_CODES = {"code": str, "epci": str, "departement": str, "region": str}


def default_config() -> dict:
    """The territory section of the config tree, as a plain dict."""
    return OmegaConf.to_container(OmegaConf.load(CONFIG), resolve=True)


def read_shipped() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The shipped EPCI and commune tables, as built, without priors."""
    epci = pd.read_csv(SHIPPED / "epci.csv", dtype=_CODES).set_index("code")
    blank = [""]
    communes = pd.read_csv(SHIPPED / "communes.csv", dtype=_CODES, keep_default_na=False,
                           na_values={"lat": blank, "lon": blank, "dist_sea_km": blank,
                                      "altitude_m": blank})
    return epci, communes


def read_border_poles() -> pd.DataFrame:
    """The cross-border employment poles (GeoNames places beyond the border that draw
    French-resident commuters), as built."""
    return pd.read_csv(SHIPPED / "border_poles.csv", keep_default_na=False)


class Territories:
    """The EPCI of a study area: a DataFrame view plus contiguous arrays for kernels.

    Row ``i`` of :attr:`df` is territory ``i`` of every array the model uses. Jobs are
    held at *job sites*: the territories (``0 … n−1``), then the cross-border poles
    (``n + k`` for row ``k`` of :attr:`border_poles`); :attr:`border` holds the share of
    each territory's workers employed at each pole. :attr:`focus` marks the territories
    simulated at :attr:`focus_scale` (none unless set by :func:`with_focus`).
    """

    def __init__(self, df: pd.DataFrame, communes: pd.DataFrame, groups: Mapping[str, list],
                 border_poles: pd.DataFrame | None = None, border: np.ndarray | None = None):
        self.df = df
        self.communes = communes
        self.groups = {k: [str(c) for c in v] for k, v in groups.items()}
        self.border_poles = (border_poles if border_poles is not None
                             else pd.DataFrame(columns=[*POLE_COLUMNS, "wage_ratio"]))
        self.border = (border if border is not None
                       else np.zeros((len(df), len(self.border_poles))))
        self.focus = np.zeros(len(df), dtype=bool)
        self.focus_scale = 1.0  # simulated households per real one in the focus

    def __len__(self) -> int:
        return len(self.df)

    def __repr__(self) -> str:
        return (f"Territories({len(self)} EPCI, {int(self.df['population'].sum()):,} inhabitants,"
                f" {len(self.communes):,} communes)")

    @property
    def codes(self) -> np.ndarray:
        return self.df.index.to_numpy()

    def array(self, column: str, dtype=np.float64) -> np.ndarray:
        """Column ``column`` as a contiguous array in territory order."""
        return np.ascontiguousarray(self.df[column].to_numpy(dtype=dtype))

    @cached_property
    def distance_km(self) -> np.ndarray:
        """Great-circle distances between centroids (n × n, km)."""
        return distance_matrix_km(self.array("lat"), self.array("lon"))

    def positions(self, codes: Iterable[str]) -> np.ndarray:
        """Row of each EPCI code, one per row of this table (a code outside the study
        area maps to the row itself: e.g. a pole beyond its edge)."""
        index = {c: i for i, c in enumerate(self.codes)}
        return np.array([index.get(c, i) for i, c in enumerate(codes)], dtype=np.int32)

    def scale_of(self, scale: float) -> np.ndarray:
        """Simulated households per real household in each territory, for a run at
        ``scale``: ``focus_scale`` in the focus, ``scale`` elsewhere."""
        return np.where(self.focus, self.focus_scale, scale)

    @property
    def n_sites(self) -> int:
        """Job sites: the territories, then the cross-border poles."""
        return len(self) + len(self.border_poles)

    @property
    def wage_ratio(self) -> np.ndarray:
        """Income of a job at each cross-border pole relative to a French job."""
        return self.border_poles["wage_ratio"].to_numpy(float) if len(self.border_poles) \
            else np.zeros(0)

    @property
    def income_premium(self) -> np.ndarray:
        """Factor of each territory's median income due to its cross-border jobs."""
        return 1.0 + self.border @ (self.wage_ratio - 1.0)

    @cached_property
    def site_distance_km(self) -> np.ndarray:
        """Great-circle distances from each territory to each job site (n × sites, km)."""
        lat = np.concatenate([self.array("lat"), self.border_poles["lat"].to_numpy(float)])
        lon = np.concatenate([self.array("lon"), self.border_poles["lon"].to_numpy(float)])
        return haversine_km(self.array("lat")[:, None], self.array("lon")[:, None],
                            lat[None, :], lon[None, :])

    @cached_property
    def pole(self) -> np.ndarray:
        """Position of each territory's nearest employment pole (itself if outside)."""
        return self.positions(self.df["pole"].to_numpy())

    @cached_property
    def kind_index(self) -> np.ndarray:
        """Position of each territory's kind in ``classification.KINDS``."""
        return np.array([KINDS.index(k) for k in self.df["kind"]], dtype=np.int64)

    @cached_property
    def hierarchy_index(self) -> np.ndarray:
        """Position of each territory's class in ``classification.HIERARCHY``."""
        return np.array([HIERARCHY.index(h) for h in self.df["hierarchy"]], dtype=np.int64)

    def select(self, *, codes: Iterable[str] | None = None, name: str | None = None,
               departement: str | Iterable[str] | None = None,
               region: str | Iterable[str] | None = None,
               kind: str | Iterable[str] | None = None, group: str | None = None) -> np.ndarray:
        """Positions of the territories matching every given criterion.

        ``name`` matches a part of the name, ignoring case and accents; the others
        match exactly (a value or a list of values).
        """
        mask = np.ones(len(self), dtype=bool)
        if group is not None:
            if group not in self.groups:
                raise KeyError(f"group {group!r} is unknown; known groups: {sorted(self.groups)}")
            mask &= self.df.index.isin(self.groups[group])
        if codes is not None:
            codes = [str(c) for c in codes]
            unknown = sorted(set(codes) - set(self.df.index))
            if unknown:
                raise KeyError(f"unknown EPCI code(s) {unknown[:5]} in this study area")
            mask &= self.df.index.isin(codes)
        if name is not None:
            key = normalise(name)
            mask &= self.df["name"].map(normalise).str.contains(key, regex=False).to_numpy()
        for col, value in (("departement", departement), ("region", region), ("kind", kind)):
            if value is not None:
                values = [value] if isinstance(value, str) else list(value)
                mask &= self.df[col].isin(values).to_numpy()
        return np.flatnonzero(mask)

    def subset(self, positions: np.ndarray) -> Territories:
        """A smaller study area (e.g. a région) with the same columns."""
        rows = np.sort(positions)
        df = self.df.iloc[rows]
        smaller = Territories(df, self.communes[self.communes["epci"].isin(df.index)],
                              self.groups, self.border_poles, self.border[rows])
        smaller.focus, smaller.focus_scale = self.focus[rows], self.focus_scale
        return smaller


def load(area: str = "metro", overrides: str | Path | pd.DataFrame | None = None,
         config: Mapping | None = None) -> Territories:
    """EPCI of ``area`` ("metro", "overseas" or "all") with priors and user overrides.

    ``overrides`` is a CSV/Parquet file (or DataFrame) keyed by ``epci`` or
    ``commune`` code; it replaces or adds numeric columns. Any bad value raises
    :class:`TerritoryDataError` and nothing is applied.
    """
    cfg = default_config() if config is None else dict(config)
    if area not in AREAS:
        raise TerritoryDataError(f"territory.area: {area!r} is not allowed; allowed: {AREAS}")
    epci, communes = read_shipped()
    if area != "all":
        keep = (epci["zone"] == "metro") if area == "metro" else (epci["zone"] != "metro")
        epci = epci[keep.to_numpy()]
        communes = communes[communes["epci"].isin(epci.index)].reset_index(drop=True)
    table = None
    if overrides is not None:
        table = read_overrides(overrides, epci, communes)
        base_cols = [c for c in table.columns if c in BASE]
        epci = _apply(epci, table[base_cols])
    poles = read_border_poles()
    columns, border = priors.compute(epci, cfg["priors"], poles)
    poles["wage_ratio"] = priors.wage_ratio(poles, cfg["priors"])
    df = pd.concat([epci, columns], axis=1)
    if table is not None:
        df = _apply(df, table[[c for c in table.columns if c not in BASE]])
        # a user's cross-border share keeps the poles' split of the prior
        total = border.sum(axis=1)
        share = df["cross_border_share"].to_numpy(float)
        weights = np.where(total[:, None] > 0, border / np.maximum(total, 1e-300)[:, None],
                           1.0 / max(len(poles), 1))
        border = weights * share[:, None]
    return Territories(df, communes, cfg.get("groups", {}), poles, border)


def study_area(section) -> Territories:
    """The study area a config's territory section describes (``area``, ``overrides``,
    optional ``departements``, ``priors``, ``groups``, ``focus``): a mapping or the
    checked section (``config.territory``)."""
    if hasattr(section, "model_dump"):
        section = section.model_dump(by_alias=True)
    t = load(area=section["area"], overrides=section.get("overrides"), config=section)
    deps = [str(d) for d in section.get("departements") or ()]
    if deps:
        known = set(t.df["departement"])
        unknown = [(i, code) for i, code in enumerate(deps) if code not in known]
        if unknown:  # every unknown code named at once, the first one as the key
            i, code = unknown[0]
            more = f" (unknown: {[c for _, c in unknown]})" if len(unknown) > 1 else ""
            raise ConfigError(f"territory.departements[{i}]", code,
                              f"a département code of the {section['area']} area, "
                              f"e.g. '12' (Aveyron), '2A' (Corse-du-Sud){more}")
        t = t.subset(t.select(departement=deps))
    return with_focus(t, section)


def with_focus(t: Territories, section) -> Territories:
    """``t`` with the focus of a territory section (``focus``: null, a group of ``groups``
    or a list of EPCI codes, every one in ``t``; ``focus_scale``): ``t`` itself if it
    has that focus already, else a copy marking it."""
    if hasattr(section, "model_dump"):
        section = section.model_dump(by_alias=True)
    focus, focus_scale = section.get("focus"), float(section.get("focus_scale", 1.0))
    key = "territory.focus"
    if focus is None:
        codes = []
    elif isinstance(focus, str):
        if focus not in t.groups:
            raise ConfigError(key, focus, f"null, a group of territory.groups "
                              f"{sorted(t.groups)} or a list of EPCI codes")
        codes = t.groups[focus]
        outside = sorted(set(codes) - set(t.df.index))
        if outside:
            raise ConfigError(key, focus, "a group whose EPCI are all in the study area "
                              "(see territory.departements)",
                              problem=f"EPCI {outside[0]} of group {focus!r} is outside it")
    else:
        codes = [str(c) for c in focus]
        for i, code in enumerate(codes):
            if code not in t.df.index:
                raise ConfigError(f"{key}[{i}]", code, "EPCI codes (SIREN) of the study area "
                                  "(see territory.departements)")
    mask = t.df.index.isin(codes)
    if np.array_equal(mask, t.focus) and (not mask.any() or focus_scale == t.focus_scale):
        return t
    focused = copy.copy(t)
    focused.focus, focused.focus_scale = mask, focus_scale
    return focused


def _apply(df: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    for col in table.columns:
        values = table[col]
        if col in df.columns:
            df.loc[values.index, col] = values.to_numpy(dtype=float)
        else:
            df[col] = values.reindex(df.index)
    return df


def read_overrides(source: str | Path | pd.DataFrame, epci: pd.DataFrame,
                   communes: pd.DataFrame) -> pd.DataFrame:
    """Validate a user table and return it as EPCI-indexed numeric columns.

    Rows are numbered from 1, header excluded.
    """
    name, raw = _read_table(source)
    if "epci" in raw.columns and "commune" in raw.columns:
        raise TerritoryDataError(f"{name}: has both 'epci' and 'commune' key columns; "
                                 "allowed: exactly one of them")
    key = "epci" if "epci" in raw.columns else "commune" if "commune" in raw.columns else None
    if key is None:
        hint = " (columns separated by ';'? write a comma-separated file)" if any(
            ";" in str(c) for c in raw.columns) else ""
        raise TerritoryDataError(f"{name}: missing key column; allowed: 'epci' (SIREN code) or "
                                 f"'commune' (INSEE code); found columns {list(raw.columns)}"
                                 f"{hint}")
    codes = raw[key].astype(str).str.strip()
    known = set(epci.index) if key == "epci" else set(communes["code"])
    for i, code in enumerate(codes):
        if code not in known:
            raise TerritoryDataError(f"{name}: row {i + 1}, column '{key}': code {code!r} is not "
                                     f"a known {key} code of the study area")
    dup = codes.duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise TerritoryDataError(f"{name}: row {i + 1}, column '{key}': duplicate code "
                                 f"{codes.iat[i]!r}; allowed: each code once")
    if raw.empty:
        raise TerritoryDataError(f"{name}: no rows (only a header); allowed: one row per "
                                 f"{key} code to override")
    values = raw.drop(columns=[key])
    if values.columns.empty:
        raise TerritoryDataError(f"{name}: no column besides '{key}'; allowed: columns of "
                                 f"{list(OVERRIDABLE)}")
    for col in values.columns:
        if col in IDENTITY:
            raise TerritoryDataError(f"{name}: column '{col}' is an identity column and cannot "
                                     f"be overridden; allowed: numeric columns")
        if col not in OVERRIDABLE:
            raise TerritoryDataError(f"{name}: column {col!r} is unknown (it would be "
                                     f"ignored); allowed: {list(OVERRIDABLE)}"
                                     f"{suggest(str(col), OVERRIDABLE)}")
        values[col] = _numeric(name, col, values[col], codes.to_numpy(), key)
    values.index = pd.Index(codes.to_numpy(), name=key)
    if key == "commune":
        values = _aggregate(name, values, communes)
    return values


def _read_table(source) -> tuple[str, pd.DataFrame]:
    if isinstance(source, pd.DataFrame):
        return "overrides DataFrame", source.reset_index(drop=True)
    path = Path(source)
    if not path.exists():
        raise TerritoryDataError(f"{path}: override file not found")
    if path.is_dir():
        raise TerritoryDataError(f"{path}: is a directory; allowed: a .csv or .parquet file")
    if path.stat().st_size == 0:
        raise TerritoryDataError(f"{path}: empty file; allowed: a header with 'epci' or "
                                 "'commune' and one row per code")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            df = pd.read_parquet(path)
        elif path.suffix.lower() == ".csv":
            df = pd.read_csv(path, dtype={"epci": str, "commune": str}, keep_default_na=False,
                             na_values=[""])
        else:
            raise TerritoryDataError(f"{path}: unsupported file type {path.suffix!r}; "
                                     "allowed: .csv, .parquet")
    except TerritoryDataError:
        raise
    except Exception as exc:  # the reader's own message says what is malformed
        raise TerritoryDataError(f"{path}: cannot be read as a table: {exc}") from exc
    return str(path), df


def _numeric(name: str, col: str, series: pd.Series, codes: np.ndarray,
             key: str) -> np.ndarray:
    out = np.empty(len(series))
    lo, hi = SIGNED_RANGES.get(col, priors.RANGES.get(col, priors.GEOGRAPHY.get(
        col, (0.0, np.inf))))
    positive = col in POSITIVE
    allowed = (f"a {'finite ' if hi == np.inf else ''}number in {'(' if positive else '['}"
               f"{lo}, {hi}{')' if hi == np.inf else ']'}")
    for i, v in enumerate(series.tolist()):
        where = f"{name}: row {i + 1} ({key} {codes[i]}), column '{col}'"
        try:
            x = float(v)
        except (TypeError, ValueError):
            raise TerritoryDataError(f"{where}: value {v!r} is not numeric; allowed: "
                                     f"{allowed}") from None
        if np.isnan(x):
            raise TerritoryDataError(f"{where}: value is missing (NaN); allowed: {allowed}")
        if not np.isfinite(x):
            raise TerritoryDataError(f"{where}: value {v!r} is infinite; allowed: {allowed}")
        if x < 0 and col not in SIGNED_RANGES:
            raise TerritoryDataError(f"{where}: value {v!r} is negative; allowed: {allowed}")
        if x == 0 and positive:
            raise TerritoryDataError(f"{where}: value {v!r} is zero; allowed: {allowed}")
        if not lo <= x <= hi:
            raise TerritoryDataError(f"{where}: value {v!r} is out of range; allowed: "
                                     f"{allowed}")
        out[i] = x
    return out


def _aggregate(name: str, values: pd.DataFrame, communes: pd.DataFrame) -> pd.DataFrame:
    """Commune rows → EPCI rows: counts summed (all members required), the rest weighted."""
    members = communes.set_index("code")
    epci_of = members.loc[values.index, "epci"].to_numpy()
    weight = members.loc[values.index, "population"].to_numpy(dtype=float) + 1.0
    extensive = [c for c in values.columns if c in EXTENSIVE]
    if extensive:
        given = pd.Series(1, index=epci_of).groupby(level=0).sum()
        needed = communes.groupby("epci").size().loc[given.index]
        short = given[given < needed]
        if len(short):
            code = short.index[0]
            raise TerritoryDataError(
                f"{name}: column(s) {extensive} are counts summed over communes, but EPCI "
                f"{code} has {int(short.iloc[0])} of its {int(needed.loc[code])} communes; "
                "allowed: all member communes of each EPCI present")
    out = {}
    for col in values.columns:
        v = values[col].to_numpy()
        if col in extensive:
            out[col] = pd.Series(v).groupby(epci_of).sum()
        else:
            out[col] = (pd.Series(v * weight).groupby(epci_of).sum()
                        / pd.Series(weight).groupby(epci_of).sum())
    df = pd.DataFrame(out)
    df.index.name = "epci"
    return df
