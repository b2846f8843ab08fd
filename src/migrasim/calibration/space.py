"""The parameters a calibration moves (``calibration/space.yaml``).

Each parameter acts on one or more config keys of the composed config: it *scales* their
default values, *shifts* them, or *sets* them (``kind``: scale, shift, value). A key
ending in ``.*`` stands for every entry of that table (e.g. every age class). A trial's
values become ordinary hydra overrides, so a trial runs exactly what the command line
would, and a bad value is refused by the config schema like any other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml
from omegaconf import OmegaConf

from migrasim.config import compose
from migrasim.errors import ConfigError

KINDS = ("scale", "shift", "value")
FIELDS = ("name", "keys", "kind", "low", "high", "log", "why")


@dataclass(frozen=True)
class Parameter:
    name: str
    keys: tuple[str, ...]
    kind: str
    low: float
    high: float
    log: bool
    why: str


def default_path(name: str) -> Path:
    """``calibration/<name>`` of the working directory, else of the repository."""
    here = Path.cwd() / "calibration" / name
    return here if here.exists() else Path(__file__).parents[3] / "calibration" / name


def load(path: str | Path | None = None) -> list[Parameter]:
    """The parameters of ``path`` (default: ``calibration/space.yaml``), checked."""
    path = Path(path) if path is not None else default_path("space.yaml")
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out, seen = [], set()
    for i, entry in enumerate(raw.get("parameters") or []):
        where = f"{path}: parameters[{i}]"
        missing = [k for k in FIELDS if k not in entry]
        unknown = [k for k in entry if k not in FIELDS]
        if missing or unknown:
            raise ConfigError(where, missing or unknown, f"exactly the keys {list(FIELDS)}")
        if entry["kind"] not in KINDS:
            raise ConfigError(f"{where}.kind", entry["kind"], f"one of {KINDS}")
        if not float(entry["low"]) < float(entry["high"]):
            raise ConfigError(f"{where}.high", entry["high"], f"above low ({entry['low']})")
        if entry["log"] and float(entry["low"]) <= 0:
            raise ConfigError(f"{where}.low", entry["low"], "positive on a log scale")
        if entry["name"] in seen:
            raise ConfigError(f"{where}.name", entry["name"], "a name used once")
        seen.add(entry["name"])
        out.append(Parameter(str(entry["name"]), tuple(entry["keys"]), entry["kind"],
                             float(entry["low"]), float(entry["high"]), bool(entry["log"]),
                             str(entry["why"])))
    if not out:
        raise ConfigError(str(path), "parameters", "a non-empty list of parameters")
    return out


def _expand(key: str, tree: Mapping) -> list[str]:
    """Every concrete key a (possibly ``.*``) key names in the config tree."""
    parts = key.split(".")
    node, path = tree, []
    for i, part in enumerate(parts):
        if part == "*":
            if i != len(parts) - 1 or not isinstance(node, Mapping):
                raise ConfigError(key, "*", "'.*' only at the end of a key naming a table")
            return [".".join([*path, k]) for k in node]
        try:
            node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError, ValueError):
            raise ConfigError(key, part, "a key of the composed config") from None
        path.append(part)
    return [key]


def _get(tree: Mapping, key: str):
    node = tree
    for part in key.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def overrides(values: Mapping[str, float], space: list[Parameter], scenario: str,
              base: list[str] = ()) -> list[str]:
    """Hydra overrides that put ``values`` (parameter name → value) into the config of
    ``scenario`` (with the extra overrides ``base``). Parameters acting on the same key
    compose in the order of the space (scales multiply, shifts add)."""
    tree = OmegaConf.to_container(compose([f"scenario={scenario}", *base]), resolve=True)
    current: dict[str, float] = {}
    for p in space:
        if p.name not in values:
            continue
        v = float(values[p.name])
        for key in (k for pattern in p.keys for k in _expand(pattern, tree)):
            old = current.get(key, float(_get(tree, key)))
            current[key] = old * v if p.kind == "scale" else old + v if p.kind == "shift" else v
    return [f"{k}={v:.10g}" for k, v in current.items()]
