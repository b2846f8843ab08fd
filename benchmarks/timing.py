"""Repeated timings as the benchmarks write them: a median with its spread."""

from __future__ import annotations

import statistics


def spread(xs: list[float]) -> dict:
    """Median, min, max and number of repeated timings."""
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "n": len(xs)}


def record(r: dict, key: str, xs: list[float]) -> float:
    """``r[key]`` = the median of ``xs``, with ``key_min``, ``key_max``, ``key_repeats``
    beside it (so ``key`` keeps its meaning in latest.json); returns the median."""
    s = spread(xs)
    r[key], r[f"{key}_min"], r[f"{key}_max"], r[f"{key}_repeats"] = (
        s["median"], s["min"], s["max"], s["n"])
    return s["median"]
