"""The observed facts a calibration fits (``calibration/targets.yaml``).

    from migrasim.calibration import targets
    ts = targets.load()                      # the repository's calibration/targets.yaml
    levels = targets.groups(ts)["levels"]

Each target is a value with a tolerance (one unit of error: the source's sampling error
plus the error of mapping its definition onto EPCI-level model output), its source and
how its moment (``moments.MOMENTS[name]``) approximates it. A file with a missing or
unknown key, a duplicate name, a non-positive tolerance, an unknown group or a name
without a moment is refused in one line naming the file, the target and the key.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields
from pathlib import Path

import yaml

from migrasim.calibration.moments import MOMENTS
from migrasim.errors import ConfigError

GROUPS = ("levels", "changes")  # pre-2020 structure; 2019→2021 changes, pandemic-year facts
VALIDATION_YEARS = (2020, 2021)  # only `changes` targets may rest on them (DOMAIN.md)
FILE = "calibration/targets.yaml"


@dataclass(frozen=True)
class Target:
    """One observed fact and how the model's output approximates it."""

    name: str
    group: str
    value: float
    tolerance: float
    tolerance_why: str
    unit: str
    source: str
    years: tuple[int, ...]
    definition: str
    mapping: str
    approximate: bool

    def error(self, simulated: float) -> float:
        """(simulated − value) in units of tolerance."""
        return (simulated - self.value) / self.tolerance


KEYS = tuple(f.name for f in fields(Target))
_TEXT = ("tolerance_why", "unit", "source", "definition", "mapping")


def default_path() -> Path:
    """``calibration/targets.yaml`` of the working directory, else of the repository."""
    here = Path.cwd() / FILE
    return here if here.exists() else Path(__file__).resolve().parents[3] / FILE


def load(path: str | Path | None = None) -> list[Target]:
    """The targets of ``path`` (default: :func:`default_path`), checked."""
    path = Path(path) if path is not None else default_path()
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        raise ConfigError(str(path), None, "a YAML file",
                          problem=f"not valid YAML ({' '.join(str(e).split())})") from None
    entries = data.get("targets") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{path}: targets", None, "a non-empty list of targets",
                          problem="missing or not a list")
    out: list[Target] = []
    for i, entry in enumerate(entries):
        target = _target(path, i, entry)
        if any(t.name == target.name for t in out):
            raise ConfigError(f"{path}: {target.name}: name", target.name, "unique names",
                              problem="duplicate name")
        out.append(target)
    return out


def _target(path: Path, i: int, entry) -> Target:
    name = entry.get("name") if isinstance(entry, dict) else None
    where = f"{path}: {name if isinstance(name, str) else f'targets[{i}]'}"
    if not isinstance(entry, dict):
        raise ConfigError(where, entry, "a mapping with keys " + ", ".join(KEYS),
                          problem="not a mapping")
    missing = [k for k in KEYS if k not in entry]
    if missing:
        raise ConfigError(f"{where}: {missing[0]}", None, "keys " + ", ".join(KEYS),
                          problem="missing")
    unknown = [k for k in entry if k not in KEYS]
    if unknown:
        raise ConfigError(f"{where}: {unknown[0]}", entry[unknown[0]],
                          "keys " + ", ".join(KEYS), problem="unknown key")

    def bad(key: str, allowed: str, problem: str | None = None):
        return ConfigError(f"{where}: {key}", entry[key], allowed, problem=problem)

    if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise bad("name", "a snake_case name")
    if name not in MOMENTS:
        raise bad("name", "a name with a moment in migrasim.calibration.moments: "
                  + ", ".join(MOMENTS), problem=f"{name!r} has no moment")
    if entry["group"] not in GROUPS:
        raise bad("group", " or ".join(GROUPS))
    for key in ("value", "tolerance"):
        v = entry[key]
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise bad(key, "a finite number")
    if entry["tolerance"] <= 0:
        raise bad("tolerance", "a number > 0")
    for key in _TEXT:
        if not isinstance(entry[key], str) or not entry[key].strip():
            raise bad(key, "a non-empty text")
    years = entry["years"]
    if (not isinstance(years, list) or not years
            or not all(isinstance(y, int) and not isinstance(y, bool) for y in years)):
        raise bad("years", "a non-empty list of years")
    if entry["group"] == "levels" and set(years) & set(VALIDATION_YEARS):
        raise bad("years", "years before 2020 for a `levels` target (2020-2021 are kept "
                  "for validation)")
    if not isinstance(entry["approximate"], bool):
        raise bad("approximate", "true or false")
    return Target(**{**entry, "value": float(entry["value"]),
                     "tolerance": float(entry["tolerance"]), "years": tuple(years)})


def groups(targets: list[Target], names: list[str] | None = None) -> dict[str, list[Target]]:
    """The targets (those named in ``names``, if given) by group, in file order."""
    chosen = [t for t in targets if names is None or t.name in names]
    return {g: [t for t in chosen if t.group == g] for g in GROUPS}
