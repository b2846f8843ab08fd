"""Modelled housing and attractiveness priors per EPCI.

The shipped sources give where people live and what surrounds them (sea, terrain,
climate, cross-border job markets) but no housing data, so stock, prices, rents,
incomes and the attractiveness scores are documented functions of those
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
    "long_term_vacant_share": (0.0, 1.0),
    "secondary": (0.0, np.inf),
    "price_m2": (0.0, np.inf),
    "rent_m2": (0.0, np.inf),
    "dwelling_m2": (5.0, 1000.0),
    "rent_month": (0.0, np.inf),
    "income_month": (0.0, np.inf),
    "border_income": (1.0, np.inf),
    "services": (0.0, 1.0),
    "amenities": (0.0, 1.0),
    "sea": (0.0, 1.0),
    "climate": (0.0, 1.0),
    "relief": (0.0, 1.0),
    "broadband": (0.0, 1.0),
    "coworking": (0.0, 1.0),
    "time_to_pole_min": (0.0, np.inf),
    "job_access": (0.0, 1.0),
    "cross_border_share": (0.0, 1.0),
    "border_min": (0.0, np.inf),
}
# Geography of the shipped table (data build), with its ranges for overrides.
GEOGRAPHY: dict[str, tuple[float, float]] = {
    "dist_sea_km": (0.0, np.inf),
    "coast_share": (0.0, 1.0),
    "coastal": (0.0, 1.0),
    "altitude_m": (-500.0, 5000.0),
    "mediterranean_share": (0.0, 1.0),
    "mountain_climate_share": (0.0, 1.0),
}


def _by_kind(kind: pd.Series, table: Mapping[str, float]) -> np.ndarray:
    return kind.map(dict(table)).to_numpy(dtype=float)


def relief(df: pd.DataFrame, r: Mapping) -> np.ndarray:
    """Hills and mountains in [0, 1]: 0 up to ``from_m`` of mean terrain altitude, 1 from
    ``to_m`` (linear between)."""
    return ((df["altitude_m"].to_numpy(float) - r["from_m"]) / (r["to_m"] - r["from_m"])
            ).clip(0, 1)


def climate_score(df: pd.DataFrame, a: Mapping) -> np.ndarray:
    """Climate in [0, 1]: the Mediterranean share of the population (Köppen Cs*), the
    rest scored by sunshine, rising southwards."""
    sunshine = ((a["lat_north"] - df["lat"]) / (a["lat_north"] - a["lat_south"])).clip(0, 1)
    # no Köppen data on some overseas islands (data build): not Mediterranean
    med = np.nan_to_num(df["mediterranean_share"].to_numpy(float))
    return (med + (1 - med) * sunshine).to_numpy(float)


def stock(df: pd.DataFrame, p: Mapping) -> pd.DataFrame:
    """Households and the dwelling stock split: main residences, vacant (a share of them
    vacant for long, off the market: LOVAC), second homes (more of them near the sea and
    in the mountains: INSEE Première n° 1871)."""
    out = pd.DataFrame(index=df.index)
    kind = df["kind"]
    out["household_size"] = _by_kind(kind, p["household_size"])
    out["households"] = df["population"] / out["household_size"]
    s = p["secondary"]
    vacant = _by_kind(kind, p["share_vacant"])
    secondary = np.minimum(_by_kind(kind, s["base"])
                           * (1 + s["coast"] * df["coast_share"].to_numpy(float))
                           * (1 + s["mountain"] * relief(df, p["amenities"]["relief"])),
                           s["max"])
    main = 1.0 - vacant - secondary
    out["dwellings"] = out["households"] / main
    out["main_residences"] = out["households"]
    out["vacant"] = out["dwellings"] * vacant
    out["long_term_vacant_share"] = float(p["long_term_vacant_share"])
    out["secondary"] = out["dwellings"] * secondary
    return out


def housing(df: pd.DataFrame, p: Mapping, border: np.ndarray, wage_ratio: np.ndarray
            ) -> pd.DataFrame:
    """Stock, prices, rents and incomes; ``border`` (territories × border poles) holds
    the shares of workers employed at each pole across the border, ``wage_ratio`` the
    poles' income relative to a French job."""
    out = stock(df, p)
    kind = df["kind"]
    climate = climate_score(df, p["amenities"])
    # the income of a territory's households rises with its workers' cross-border wages
    premium = 1.0 + border @ (wage_ratio - 1.0)
    inc = p["income"]
    out["border_income"] = premium
    out["income_month"] = (
        inc["base"] * _by_kind(kind, inc["kind_factor"])
        * (1 + inc["paris_premium"] * np.exp(-df["dist_paris_km"] / inc["paris_decay_km"]))
        * premium)
    pr = p["price"]
    # log-linear in its parameters, which territories.data.anchors fits to named places
    price = (
        _by_kind(kind, pr["base"])
        * (df["population"] / 1e5) ** pr["size_elasticity"]
        * np.exp(pr["metro_premium"] * np.exp(-df["dist_metropole_km"] / pr["metro_decay_km"])
                 + pr["paris_premium"] * np.exp(-df["dist_paris_km"] / pr["paris_decay_km"])
                 + pr["coast_premium"] * df["coast_share"]
                 + pr["climate_premium"] * climate)
        * premium ** pr["income_elasticity"]
    )
    out["price_m2"] = price.clip(pr["min"], pr["max"])
    out["rent_m2"] = p["rent"]["scale"] * out["price_m2"] ** p["rent"]["exponent"]
    out["dwelling_m2"] = _by_kind(kind, p["dwelling_m2"])
    out["rent_month"] = out["rent_m2"] * out["dwelling_m2"]
    return out


def attractiveness(df: pd.DataFrame, p: Mapping, border_min: np.ndarray) -> pd.DataFrame:
    """Scores in [0, 1]: services, amenities (sea, climate, relief), broadband,
    coworking, job access (the nearest pole, across the border too)."""
    out = pd.DataFrame(index=df.index)
    logpop = np.log10(df["population"].clip(lower=1))
    s = p["services"]
    out["services"] = ((logpop - s["log10_pop_min"]) / (s["log10_pop_max"] - s["log10_pop_min"])
                       ).clip(0, 1)
    a = p["amenities"]
    out["sea"] = np.exp(-df["dist_sea_km"].to_numpy(float) / a["sea_decay_km"])
    out["climate"] = climate_score(df, a)
    out["relief"] = relief(df, a["relief"])
    w = a["weights"]
    out["amenities"] = (w["sea"] * out["sea"] + w["climate"] * out["climate"]
                        + w["relief"] * out["relief"]).clip(0, 1)
    b = p["broadband"]
    out["broadband"] = (_by_kind(df["kind"], b["kind_base"])
                        - b["loss_per_100km"] * df["dist_metropole_km"] / 100).clip(b["min"], 1)
    out["coworking"] = 1 - np.exp(-df["population"] / p["coworking"]["population_per_site"])
    minutes, out["pole"] = travel_time_to_pole(df, p["job_access"])
    out["time_to_pole_min"] = np.minimum(minutes, border_min)
    out["job_access"] = np.exp(-out["time_to_pole_min"] / p["job_access"]["decay_min"])
    return out


def minutes_per_km(j: Mapping) -> float:
    """Road minutes per straight-line km: detour index at an average speed."""
    return j["road_factor"] / j["speed_kmh"] * 60.0


def travel_time_to_pole(df: pd.DataFrame, j: Mapping) -> tuple[np.ndarray, np.ndarray]:
    """Minutes to the nearest employment pole: road ≈ detour × straight line at a speed."""
    is_pole = (df["kind"].isin(["ME", "CU"]) | (df["population"] >= j["pole_min_population"]))
    poles = df[is_pole.to_numpy()]
    d = haversine_km(df["lat"].to_numpy()[:, None], df["lon"].to_numpy()[:, None],
                     poles["lat"].to_numpy()[None, :], poles["lon"].to_numpy()[None, :])
    nearest = d.argmin(axis=1)
    minutes = d[np.arange(len(df)), nearest] * minutes_per_km(j)
    return minutes, poles.index.to_numpy()[nearest]


def border_minutes(df: pd.DataFrame, poles: pd.DataFrame, j: Mapping) -> np.ndarray:
    """Road minutes from each territory to each cross-border pole (territories × poles)."""
    km = haversine_km(df["lat"].to_numpy()[:, None], df["lon"].to_numpy()[:, None],
                      poles["lat"].to_numpy()[None, :], poles["lon"].to_numpy()[None, :])
    return km * minutes_per_km(j)


def cross_border(df: pd.DataFrame, poles: pd.DataFrame, p: Mapping) -> np.ndarray:
    """Share of each territory's workers employed at each cross-border pole
    (territories × poles): a gravity model, pole population × exp(−minutes / decay),
    scaled per destination country so that metropolitan France sends the country's
    observed number of commuters, with at most ``max_share`` of a territory's workers
    abroad (what a capped territory cannot send goes to the others of the catchment)."""
    c = p["cross_border"]
    if len(poles) == 0 or len(df) == 0:
        return np.zeros((len(df), len(poles)))
    minutes = border_minutes(df, poles, p["job_access"])
    gravity = poles["population"].to_numpy(float)[None, :] * np.exp(-minutes / c["decay_min"])
    gravity[(df["zone"] != "metro").to_numpy()] = 0.0
    workers = df["population"].to_numpy(float) * c["employment_rate"]
    country = poles["country"].map(lambda k: c["counted_with"].get(k, k)).to_numpy()
    target = np.array([float(c["commuters"].get(k, 0.0)) for k in country])
    scale = np.ones(len(poles))
    for _ in range(200):  # fixed point: country totals met under the cap
        share = gravity * scale[None, :]
        share *= np.minimum(1.0, c["max_share"] / np.maximum(share.sum(axis=1), 1e-300))[:, None]
        sent = workers @ share
        ratio = np.ones(len(poles))
        for k in np.unique(country):
            cols = country == k
            if sent[cols].sum() > 0:
                ratio[cols] = target[cols][0] / sent[cols].sum()
        if np.allclose(ratio, 1.0, rtol=1e-9):
            break
        scale *= ratio
    return share


def wage_ratio(poles: pd.DataFrame, p: Mapping) -> np.ndarray:
    """Income of a job at each pole relative to a French job (by the pole's country)."""
    table = p["cross_border"]["wage_ratio"]
    return np.array([float(table.get(k, 1.0)) for k in poles["country"]])


def compute(df: pd.DataFrame, p: Mapping, poles: pd.DataFrame) -> tuple[pd.DataFrame,
                                                                       np.ndarray]:
    """All prior columns for the EPCI table ``df`` and the cross-border shares
    (territories × poles) of ``poles``."""
    border = cross_border(df, poles, p)
    ratio = wage_ratio(poles, p)
    minutes = border_minutes(df, poles, p["job_access"])
    border_min = minutes.min(axis=1) if len(poles) else np.full(len(df), np.inf)
    out = pd.concat([housing(df, p, border, ratio), attractiveness(df, p, border_min)], axis=1)
    out["cross_border_share"] = border.sum(axis=1)
    out["border_min"] = border_min
    out["border_pole"] = (poles["name"].to_numpy()[minutes.argmin(axis=1)] if len(poles)
                          else "")
    return out, border
