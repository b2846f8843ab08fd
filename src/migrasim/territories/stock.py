"""The housing stock of each territory, in base units (1 / scale real dwellings)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from migrasim.territories import Territories


@dataclass
class HousingStock:
    """Dwellings by territory: occupied (and by profile of the occupants), vacant, all.

    ``dwellings = occupied + vacant + secondary homes``; capacity and relocation move
    households between occupied and vacant dwellings, construction adds vacant ones.
    Counts are float64 sums of household weights (whole numbers outside a focus area).
    """

    by_profile: np.ndarray  # (territories, profiles) households living there
    occupied: np.ndarray    # households living there
    vacant: np.ndarray
    dwellings: np.ndarray

    @classmethod
    def initial(cls, territories: Territories, home: np.ndarray, profile: np.ndarray,
                weight: np.ndarray, n_profiles: int, scale: float) -> HousingStock:
        """Occupied dwellings from the households' weights; vacant and secondary ones from
        the territory priors, rounded to whole simulated dwellings at the territory's
        scale (``Territories.scale_of``; at least one vacant dwelling everywhere)."""
        n = len(territories)
        by_profile = np.bincount(home.astype(np.int64) * n_profiles + profile, weights=weight,
                                 minlength=n * n_profiles).reshape(n, n_profiles)
        occupied = by_profile.sum(axis=1)
        at = territories.scale_of(scale)
        unit = scale / at  # base units per simulated dwelling: 1 outside the focus
        vacant = np.maximum(np.round(territories.array("vacant") * at), 1.0) * unit
        secondary = np.round(territories.array("secondary") * at) * unit
        return cls(by_profile, occupied, vacant, occupied + vacant + secondary)

    def vacancy(self) -> np.ndarray:
        """Vacant share of the dwellings."""
        return self.vacant / np.maximum(self.dwellings, 1)
