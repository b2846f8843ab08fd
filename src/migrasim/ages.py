"""Life stages: the age class of a household's reference person, and the segment
(profile × age class) that indexes every behavioural table.

Ages are kept in months so that ageing is one increment a month; a household changes
class on the month its reference person turns 30, 45, 60 or 75 (INSEE's usual bounds
of the age of the reference person, close to the bounds of the mobility tables).
"""

from __future__ import annotations

import numpy as np

AGE_CLASSES = ("under_30", "from_30_to_44", "from_45_to_59", "from_60_to_74", "from_75")
BOUNDS_YEARS = (30, 45, 60, 75)  # first age of each class after the first
FIRST_AGE, LAST_AGE = 18, 95     # design: ages drawn for a class's open ends
_BOUNDS = np.array([12 * b for b in BOUNDS_YEARS], dtype=np.int64)
N_AGES = len(AGE_CLASSES)


def age_class(age_months: np.ndarray) -> np.ndarray:
    """Age class (index into ``AGE_CLASSES``) of each age in months."""
    return np.searchsorted(_BOUNDS, np.asarray(age_months), side="right").astype(np.int8)


def segment(profile: np.ndarray, age_months: np.ndarray) -> np.ndarray:
    """Segment index profile × N_AGES + age class: the row of the behavioural tables."""
    return (np.asarray(profile).astype(np.int16) * N_AGES + age_class(age_months)).astype(np.int8)


def class_range_months(k: int) -> tuple[int, int]:
    """First and last month of age (inclusive) of class ``k``."""
    lo = FIRST_AGE * 12 if k == 0 else int(_BOUNDS[k - 1])
    hi = LAST_AGE * 12 if k == N_AGES - 1 else int(_BOUNDS[k]) - 1
    return lo, hi
