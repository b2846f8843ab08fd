"""Records: what each month leaves behind, as tidy tables.

``territories``: one row per EPCI and month (population, households by profile,
arrivals, departures, internal moves, price, rent, vacancy, displaced, unmet demand,
wanted arrivals). ``flows``: one row per year, origin, destination and profile with
at least one move, weighted to real households and persons (sparse).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from migrasim import calendar
from migrasim.decision import DISPLACED


class Records:
    def __init__(self, model):
        self.model = model
        self.rows: list[dict[str, np.ndarray]] = []
        self.flow_keys: dict[int, list[np.ndarray]] = {}

    def month(self, month: int, profile, origin, chosen, moved, why, wanted, unmet) -> None:
        """Record one month; arrays are per mover (``profile`` as before the move)."""
        m = self.model
        n = len(m.territories)
        P = len(m.profiles)
        served_out = moved & (chosen != origin)
        row = {
            "month": np.full(n, month),
            "households": m.occupied.copy(),
            "arrivals": np.bincount(chosen[served_out], minlength=n),
            "departures": np.bincount(origin[served_out], minlength=n),
            "internal_moves": np.bincount(origin[moved & (chosen == origin)], minlength=n),
            "displaced": np.bincount(origin[moved & (why == DISPLACED)], minlength=n),
            "wanted_arrivals": wanted,
            "unmet_demand": unmet,
            "price_m2": m.price.copy(),
            "rent_month": m.rent.copy(),
            "vacancy": m.vacant / np.maximum(m.dwellings, 1),
            "dwellings": m.dwellings.copy(),
        }
        for p, name in enumerate(m.profiles):
            row[f"households_{name}"] = m.by_profile[:, p].copy()
        self.rows.append(row)
        key = (origin[moved].astype(np.int64) * n + chosen[moved]) * P + profile[moved]
        self.flow_keys.setdefault(month // 12, []).append(key)

    def territories_table(self) -> pd.DataFrame:
        m = self.model
        n = len(m.territories)
        weight = 1.0 / m.scale
        size = m.territories.array("household_size")
        cols = {k: np.concatenate([r[k] for r in self.rows]) for k in self.rows[0]}
        df = pd.DataFrame(cols)
        df.insert(1, "epci", np.tile(m.territories.codes, len(self.rows)))
        df["month"] = [calendar.label(x) for x in df["month"]]
        counts = [c for c in df.columns if c in ("households", "arrivals", "departures",
                                                 "internal_moves", "displaced",
                                                 "wanted_arrivals", "unmet_demand", "dwellings")
                  or c.startswith("households_")]
        df[counts] = df[counts].astype(np.float64) * weight
        df.insert(2, "population", df["households"] * np.tile(size, len(self.rows)))
        assert len(df) == n * len(self.rows)
        return df

    def flows_table(self) -> pd.DataFrame:
        m = self.model
        n, P = len(m.territories), len(m.profiles)
        size = m.territories.array("household_size")
        frames = []
        for year, keys in sorted(self.flow_keys.items()):
            k, c = np.unique(np.concatenate(keys), return_counts=True)
            od, p = np.divmod(k, P)
            o, d = np.divmod(od, n)
            frames.append(pd.DataFrame({
                "year": year, "origin": m.territories.codes[o], "destination":
                m.territories.codes[d], "profile": np.array(m.profiles)[p],
                "households": c / m.scale, "persons": c / m.scale * size[o]}))
        return pd.concat(frames, ignore_index=True)
