"""Distances and travel times on the sphere, shared by the data build and the model."""

from __future__ import annotations

import numpy as np

EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1, lon1, lat2, lon2):
    """Great-circle distance in km; broadcasts like numpy."""
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(x, dtype=float)) for x in
                              (lat1, lon1, lat2, lon2))
    a = (np.sin((lat2 - lat1) / 2) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def distance_matrix_km(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """All-pairs great-circle distances between territory centroids."""
    return haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
