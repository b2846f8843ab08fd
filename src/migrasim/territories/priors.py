"""Modelled housing and attractiveness priors per EPCI.

Neither shipped source has housing data, so stock, prices, rents, incomes and the
attractiveness scores are documented functions of kind, size and distances
(``configs/territory/default.yaml`` says where each parameter comes from). They are
priors, not observations: users replace any column with their own data.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from migrasim.territories.geo import haversine_km

# Columns the priors add, with the range each must stay in (also enforced on overrides).
RANGES: dict[str, tuple[float, float]] = {
    "household_size": (1.0, 6.0),
    "households": (0.0, np.inf),
    "dwellings": (0.0, np.inf),
    "main_residences": (0.0, np.inf),
    "vacant": (0.0, np.inf),
    "secondary": (0.0, np.inf),
    "price_m2": (0.0, np.inf),
    "rent_m2": (0.0, np.inf),
    "dwelling_m2": (5.0, 1000.0),
    "rent_month": (0.0, np.inf),
    "income_month": (0.0, np.inf),
    "services": (0.0, 1.0),
    "amenities": (0.0, 1.0),
    "broadband": (0.0, 1.0),
    "coworking": (0.0, 1.0),
    "time_to_pole_min": (0.0, np.inf),
    "job_access": (0.0, 1.0),
}


def _by_kind(kind: pd.Series, table: Mapping[str, float]) -> np.ndarray:
    return kind.map(dict(table)).to_numpy(dtype=float)


def housing(df: pd.DataFrame, p: Mapping) -> pd.DataFrame:
    """Households, dwelling stock split, prices, rents and incomes."""
    out = pd.DataFrame(index=df.index)
    kind = df["kind"]
    out["household_size"] = _by_kind(kind, p["household_size"])
    out["households"] = df["population"] / out["household_size"]
    main = _by_kind(kind, p["share_main"])
    vacant = _by_kind(kind, p["share_vacant"])
    out["dwellings"] = out["households"] / main
    out["main_residences"] = out["households"]
    out["vacant"] = out["dwellings"] * vacant
    out["secondary"] = out["dwellings"] * (1.0 - main - vacant)

    pr = p["price"]
    price = (
        _by_kind(kind, pr["base"])
        * (df["population"] / 1e5) ** pr["size_elasticity"]
        * (1 + pr["metro_premium"] * np.exp(-df["dist_metropole_km"] / pr["metro_decay_km"]))
        * (1 + pr["paris_premium"] * np.exp(-df["dist_paris_km"] / pr["paris_decay_km"]))
    )
    out["price_m2"] = price.clip(pr["min"], pr["max"])
    out["rent_m2"] = p["rent"]["scale"] * out["price_m2"] ** p["rent"]["exponent"]
    out["dwelling_m2"] = _by_kind(kind, p["dwelling_m2"])
    out["rent_month"] = out["rent_m2"] * out["dwelling_m2"]

    inc = p["income"]
    out["income_month"] = (
        inc["base"] * _by_kind(kind, inc["kind_factor"])
        * (1 + inc["paris_premium"] * np.exp(-df["dist_paris_km"] / inc["paris_decay_km"]))
    )
    return out


def attractiveness(df: pd.DataFrame, p: Mapping) -> pd.DataFrame:
    """Scores in [0, 1] for services, amenities, broadband, coworking, job access."""
    out = pd.DataFrame(index=df.index)
    logpop = np.log10(df["population"].clip(lower=1))
    s = p["services"]
    out["services"] = ((logpop - s["log10_pop_min"]) / (s["log10_pop_max"] - s["log10_pop_min"])
                       ).clip(0, 1)
    a = p["amenities"]
    sunshine = ((a["lat_north"] - df["lat"]) / (a["lat_north"] - a["lat_south"])).clip(0, 1)
    out["amenities"] = (a["climate_weight"] * sunshine
                        + (1 - a["climate_weight"]) * (1 - out["services"])).clip(0, 1)
    b = p["broadband"]
    out["broadband"] = (_by_kind(df["kind"], b["kind_base"])
                        - b["loss_per_100km"] * df["dist_metropole_km"] / 100).clip(b["min"], 1)
    out["coworking"] = 1 - np.exp(-df["population"] / p["coworking"]["population_per_site"])
    out["time_to_pole_min"], out["pole"] = travel_time_to_pole(df, p["job_access"])
    out["job_access"] = np.exp(-out["time_to_pole_min"] / p["job_access"]["decay_min"])
    return out


def travel_time_to_pole(df: pd.DataFrame, j: Mapping) -> tuple[np.ndarray, np.ndarray]:
    """Minutes to the nearest employment pole: road ≈ detour × straight line at a speed."""
    is_pole = (df["kind"].isin(["ME", "CU"]) | (df["population"] >= j["pole_min_population"]))
    poles = df[is_pole.to_numpy()]
    d = haversine_km(df["lat"].to_numpy()[:, None], df["lon"].to_numpy()[:, None],
                     poles["lat"].to_numpy()[None, :], poles["lon"].to_numpy()[None, :])
    nearest = d.argmin(axis=1)
    minutes = d[np.arange(len(df)), nearest] * j["road_factor"] / j["speed_kmh"] * 60.0
    return minutes, poles.index.to_numpy()[nearest]


def compute(df: pd.DataFrame, p: Mapping) -> pd.DataFrame:
    """All prior columns for the EPCI table ``df``."""
    return pd.concat([housing(df, p), attractiveness(df, p)], axis=1)
