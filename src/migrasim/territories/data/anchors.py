"""The price prior set against named places: ``python -m migrasim.territories.data.anchors``.

``price_anchors.csv`` lists public price levels (€/m², mostly notaires' apartment medians
quoted by the press; docs/research/price-anchors.md) of EPCI and départements, outside
2020-2021. Each is brought to 2019 euros with ``TO_2019`` and compared with the prior:
an EPCI with its ``price_m2``, a département with its EPCI's population-weighted mean.
``--fit`` re-estimates the price curve's parameters on log prices (the curve is
log-linear in them; a département enters with its population-weighted mean features)
as a Gaussian posterior mode: residual sd ``SIGMA``, and a prior on each parameter
(``PRIOR``: the design values the priors had before the geography, with a spread) so
that 44 anchors do not have to pin 10 parameters alone. The values in
``configs/territory/default.yaml`` come from this fit.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from migrasim import territories as T

ANCHORS = Path(__file__).parent / "price_anchors.csv"
# Price level of a year relative to 2019, from the anchors' own pairs (same place, same
# source): 2016 → 2019 ×1.25 (Paris 8,000 → 9,890, Nantes 2,500 → 3,150); 2019 → 2023-2025
# ×1.15, the median of eight pairs (Paris 0.96, Lyon 1.07, Nice 1.09, Bordeaux 1.10, Pays de
# Gex 1.18, Haute-Savoie 1.27, Annecy 1.36, Saint-Malo 1.51); 2017 and 2018 in between.
TO_2019 = {2016: 1.25, 2017: 1.10, 2018: 1.05, 2019: 1.0, 2022: 1 / 1.15, 2023: 1 / 1.15,
           2024: 1 / 1.15, 2025: 1 / 1.15}
FITTED = ("size_elasticity", "metro_premium", "paris_premium", "coast_premium",
          "climate_premium", "income_elasticity")
# Residual sd of a log anchor: apartments' medians against an EPCI's all-dwellings level,
# a commune against its EPCI, the year factors above (design).
SIGMA = 0.35
# Prior (mean, sd) of each parameter: the design curve before the geography (base by kind
# from the notaires' orders of magnitude, Paris ≈ 10,000 €/m²), no coastal, climate
# premium, and a cross-border income passed one for one into prices (design).
PRIOR = {"base.ME": (np.log(2600), 0.3), "base.CU": (np.log(1900), 0.3),
         "base.CA": (np.log(1750), 0.3), "base.CC": (np.log(1450), 0.3),
         "size_elasticity": (0.08, 0.1), "metro_premium": (0.3, 0.3),
         "paris_premium": (0.708, 0.2), "coast_premium": (0.0, 0.5),
         "climate_premium": (0.0, 0.3), "income_elasticity": (1.0, 0.5)}


def read() -> pd.DataFrame:
    """The anchors with their value in 2019 euros."""
    a = pd.read_csv(ANCHORS, dtype={"code": str})
    bad = sorted(set(a["year"]) - set(TO_2019))
    if bad:
        raise ValueError(f"{ANCHORS.name}: no 2019 factor for year(s) {bad}")
    a["price_2019"] = a["price_m2"] * a["year"].map(TO_2019)
    return a


def features(df: pd.DataFrame, p: Mapping) -> pd.DataFrame:
    """The log-linear terms of the price curve per EPCI (log price = their sum)."""
    pr = p["price"]
    x = pd.DataFrame(index=df.index)
    for kind in pr["base"]:
        x[f"base.{kind}"] = (df["kind"] == kind).astype(float)
    x["size_elasticity"] = np.log(df["population"] / 1e5)
    x["metro_premium"] = np.exp(-df["dist_metropole_km"] / pr["metro_decay_km"])
    x["paris_premium"] = np.exp(-df["dist_paris_km"] / pr["paris_decay_km"])
    x["coast_premium"] = df["coast_share"]
    x["climate_premium"] = df["climate"]
    x["income_elasticity"] = np.log(df["border_income"])
    return x


def _rows(a: pd.DataFrame, df: pd.DataFrame, values: pd.DataFrame) -> np.ndarray:
    """Each anchor's EPCI value, or its département's population-weighted mean."""
    out = []
    for scope, code in zip(a["scope"], a["code"], strict=True):
        if scope == "epci":
            out.append(values.loc[code].to_numpy(float))
        else:
            members = df.index[df["departement"] == code]
            w = df.loc[members, "population"].to_numpy(float)
            out.append(w @ values.loc[members].to_numpy(float) / w.sum())
    return np.array(out)


def compare(t: T.Territories | None = None) -> pd.DataFrame:
    """Every anchor beside the prior (2019 €/m²) and the log error."""
    t = T.load() if t is None else t
    a = read()
    a["prior"] = _rows(a, t.df, t.df[["price_m2"]])[:, 0]
    a["log_error"] = np.log(a["prior"] / a["price_2019"])
    return a


def fit(config: Mapping | None = None) -> dict:
    """Posterior-mode price-curve parameters (log prices), other priors as configured."""
    cfg = T.default_config() if config is None else config
    p = cfg["priors"]
    t = T.load(config=cfg)
    a = read()
    x = features(t.df, p)
    X = _rows(a, t.df, x)
    mean, sd = (np.array([PRIOR[c][i] for c in x.columns]) for i in (0, 1))
    coef = np.linalg.solve(X.T @ X / SIGMA**2 + np.diag(sd**-2.0),
                           X.T @ np.log(a["price_2019"].to_numpy()) / SIGMA**2 + mean / sd**2)
    named = dict(zip(x.columns, coef, strict=True))
    out = {k: round(float(np.exp(named[f"base.{k}"])), -1) for k in p["price"]["base"]}
    return {"base": out, **{k: round(float(named[k]), 3) for k in FITTED}}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fit", action="store_true", help="re-estimate the price curve")
    args = ap.parse_args(argv)
    c = compare()
    pd.set_option("display.width", 160)
    print(c[["place", "scope", "year", "price_m2", "price_2019", "prior", "log_error"]]
          .round({"price_2019": 0, "prior": 0, "log_error": 2}).to_string(index=False))
    print(f"rms log error {np.sqrt((c['log_error'] ** 2).mean()):.3f} over {len(c)} anchors")
    if args.fit:
        print(fit())


if __name__ == "__main__":
    main()
