"""The housing stock of each territory, in base units (1 / scale real dwellings)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from migrasim.territories import Territories


@dataclass
class HousingStock:
    """Dwellings by territory: occupied (and by profile of the occupants), vacant on the
    market, off the market (long-term vacant, second homes), all.

    ``dwellings = occupied + vacant + long_term_vacant + secondary``; capacity and
    relocation move households between occupied and vacant dwellings, construction adds
    vacant ones; dwellings off the market stay off it unless a policy brings them back
    (submodels/construction.py). Counts are float64 sums of household weights (whole
    numbers outside a focus area).
    """

    by_profile: np.ndarray  # (territories, profiles) households living there
    occupied: np.ndarray    # households living there
    vacant: np.ndarray      # vacant and on the market: what movers can take
    dwellings: np.ndarray
    long_term_vacant: np.ndarray  # vacant for long (two years or more), off the market
    secondary: np.ndarray         # second homes

    @classmethod
    def initial(cls, territories: Territories, home: np.ndarray, profile: np.ndarray,
                weight: np.ndarray, n_profiles: int, scale: float) -> HousingStock:
        """Occupied dwellings from the households' weights; vacant and secondary ones from
        the territory priors, rounded to whole simulated dwellings at the territory's
        scale (``Territories.scale_of``); of the vacant ones, the long-term vacant share is
        off the market (at least one vacant dwelling on the market everywhere)."""
        n = len(territories)
        by_profile = np.bincount(home.astype(np.int64) * n_profiles + profile, weights=weight,
                                 minlength=n * n_profiles).reshape(n, n_profiles)
        occupied = by_profile.sum(axis=1)
        at = territories.scale_of(scale)
        unit = scale / at  # base units per simulated dwelling: 1 outside the focus
        vacant = np.maximum(np.round(territories.array("vacant") * at), 1.0)
        long_term = np.minimum(np.round(vacant * territories.array("long_term_vacant_share")),
                               vacant - 1.0)
        secondary = np.round(territories.array("secondary") * at)
        return cls(by_profile, occupied, (vacant - long_term) * unit,
                   occupied + (vacant + secondary) * unit, long_term * unit, secondary * unit)

    def vacancy(self) -> np.ndarray:
        """Vacant share of the dwellings (on the market)."""
        return self.vacant / np.maximum(self.dwellings, 1)

    def off_market(self) -> np.ndarray:
        """Dwellings off the market: long-term vacant and second homes."""
        return self.long_term_vacant + self.secondary
