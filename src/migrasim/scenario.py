"""Scenarios: the telework path and the shocks a run goes through, month by month.

A scenario is data (``configs/scenario/NAME.yaml``, also reachable as ``scenarios/``):
telework periods, each giving per working profile the share of households that
telework and their mean days a week; shocks that multiply move hazards by origin class
and shift preferences for a while; and the policies to plug in. Which households
telework is fixed by their own draws, so a rising share adds teleworkers without
reshuffling the others (common random numbers).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numba as nb
import numpy as np

from migrasim import calendar, rng
from migrasim.config import ConfigError
from migrasim.households import Households

HIERARCHY = ("paris", "metropole", "large_urban", "medium", "small_rural")


@dataclass
class Period:
    start: int
    share: np.ndarray  # per profile
    days: np.ndarray   # per profile, mean days a week for teleworkers


@dataclass
class Shock:
    start: int
    end: int
    move_multiplier: np.ndarray  # (profiles, classes)
    preference: dict[str, float]


PREFERENCES = ("amenities", "services")  # coefficients a shock may scale


def _index(allowed, name, key: str) -> int:
    if name not in allowed:
        raise ConfigError(key, name, f"one of {list(allowed)}")
    return list(allowed).index(name)


class Scenario:
    def __init__(self, cfg: Mapping, profiles: list[str]):
        self.name = str(cfg["name"])
        self.description = str(cfg.get("description", ""))
        P = len(profiles)
        self.periods = []
        for i, per in enumerate(cfg["telework"]):
            share, days = np.zeros(P), np.zeros(P)
            for p, name in enumerate(profiles):
                share[p] = per["share"].get(name, 0.0)
                days[p] = per["days"].get(name, 0.0)
            self.periods.append(Period(calendar.parse(per["from"],
                                                      f"scenario.telework[{i}].from"),
                                       share, days))
        self.periods.sort(key=lambda q: q.start)
        self.shocks = []
        for i, s in enumerate(cfg.get("shocks", []) or []):
            key = f"scenario.shocks[{i}]"
            mult = np.ones((P, len(HIERARCHY)))
            who = [_index(profiles, x, f"{key}.profiles") for x in s.get("profiles", profiles)]
            for cls, m in (s.get("move_multiplier") or {}).items():
                if not isinstance(m, (int, float)) or m < 0:
                    raise ConfigError(f"{key}.move_multiplier.{cls}", m, "a number ≥ 0")
                mult[who, _index(HIERARCHY, cls, f"{key}.move_multiplier")] = m
            for name in s.get("preference") or {}:
                _index(PREFERENCES, name, f"{key}.preference")
            self.shocks.append(Shock(calendar.parse(s["from"], f"scenario.shocks[{i}].from"),
                                     calendar.parse(s["until"], f"scenario.shocks[{i}].until"),
                                     mult, dict(s.get("preference") or {})))
        self.policies = list(cfg.get("policies", []) or [])

    def period(self, month: int) -> Period:
        current = self.periods[0]
        for per in self.periods:
            if per.start <= month:
                current = per
        return current

    def shock(self, month: int, n_profiles: int) -> tuple[np.ndarray, dict[str, float]]:
        mult = np.ones((n_profiles, len(HIERARCHY)))
        pref: dict[str, float] = {}
        for s in self.shocks:
            if s.start <= month <= s.end:
                mult *= s.move_multiplier
                for k, v in s.preference.items():
                    pref[k] = pref.get(k, 1.0) * v
        return mult, pref


def telework_days(households: Households, period: Period, seed: int) -> np.ndarray:
    """Days a week each household teleworks under ``period`` (0 for non-teleworkers)."""
    return _telework(seed, households.profile, period.share, period.days)


@nb.njit(parallel=True, cache=True)
def _telework(seed, profile, share, days):
    out = np.zeros(profile.shape[0], dtype=np.int8)
    for h in nb.prange(profile.shape[0]):
        p = profile[h]
        if rng.uniform(seed, h, -1, rng.SYNTH_TELEWORK) < share[p]:
            mean = days[p]
            d = np.floor(mean) + (rng.uniform(seed, h, -1, rng.SYNTH_DAYS) < mean - np.floor(mean))
            out[h] = min(max(d, 0.0), 5.0)
    return out
