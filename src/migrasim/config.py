"""The config tree (``configs/``): composing it without the command line, and checking it.

``compose(["scenario=covid", "scale=0.001"])`` gives the same config as the CLI with
those overrides. ``validate`` fails fast on the first bad value with a
:class:`ConfigError` naming the key, the value and what is allowed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

CONFIG_DIR = Path(__file__).parent / "configs"


class ConfigError(ValueError):
    """A config value out of range, of the wrong type, or unknown."""

    def __init__(self, key: str, value, allowed: str):
        self.key, self.value, self.allowed = key, value, allowed
        super().__init__(f"{key}: {value!r} is not allowed; allowed: {allowed}")


def scenarios() -> list[str]:
    """Names of the shipped scenarios."""
    return sorted(p.stem for p in (CONFIG_DIR / "scenario").glob("*.yaml"))


def compose(overrides: Iterable[str] = ()) -> DictConfig:
    """The main config with hydra-style overrides, without running hydra's app."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    overrides = list(overrides)
    check_scenario_override(overrides)
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = hydra_compose(config_name="config", overrides=overrides)
    GlobalHydra.instance().clear()
    OmegaConf.set_struct(cfg, False)
    cfg.pop("hydra", None)
    return cfg


def check_scenario_override(args: Iterable[str]) -> None:
    for a in args:
        if a.startswith("scenario="):
            name = a.split("=", 1)[1]
            if name not in scenarios():
                raise ConfigError("scenario", name, f"one of {scenarios()}")


def _number(cfg, key: str, lo: float, hi: float, *, integer: bool = False,
            lo_open: bool = False) -> None:
    value = OmegaConf.select(cfg, key)
    kind = "an integer" if integer else "a number"
    span = f"{'(' if lo_open else '['}{lo}, {hi}]"
    ok_type = (isinstance(value, int) if integer else isinstance(value, (int, float)))
    if isinstance(value, bool) or not ok_type:
        raise ConfigError(key, value, f"{kind} in {span}")
    if not (lo < value if lo_open else lo <= value) or value > hi or (
            isinstance(value, float) and math.isnan(value)):
        raise ConfigError(key, value, f"{kind} in {span}")


def _table(cfg, key: str, lo: float, hi: float, names: Iterable[str]) -> None:
    table = OmegaConf.select(cfg, key)
    for name in names:
        if table is None or name not in table:
            raise ConfigError(f"{key}.{name}", None, f"a number in [{lo}, {hi}]")
        _number(cfg, f"{key}.{name}", lo, hi)


def validate(cfg: DictConfig) -> None:
    """Check ranges and types of the values the model reads."""
    from migrasim.calendar import parse
    from migrasim.territories import AREAS

    _number(cfg, "seed", 0, 2**63 - 1, integer=True)
    _number(cfg, "scale", 0.0, 1.0, lo_open=True)
    _number(cfg, "months", 1, 1200, integer=True)
    parse(cfg.start, "start")
    if cfg.territory.area not in AREAS:
        raise ConfigError("territory.area", cfg.territory.area, f"one of {list(AREAS)}")
    if cfg.get("compare_to") not in (None, *scenarios()):
        raise ConfigError("compare_to", cfg.compare_to, f"null or one of {scenarios()}")
    m = cfg.model
    profiles = list(m.profiles)
    workers = [p for p in profiles if p in m.workers]
    _table(cfg, "model.move.annual_rate", 0.0, 1.0, profiles)
    _table(cfg, "model.households.owner_share", 0.0, 1.0, profiles)
    _table(cfg, "model.households.income_factor", 0.0, 100.0, profiles)
    for key, lo, hi in (("model.move.burden_ref", 0, 1), ("model.move.burden_slope", 0, 100),
                        ("model.move.displacement_threshold", 0, 5),
                        ("model.move.displacement_rate", 0, 1),
                        ("model.move.neo_rural_failure_rate", 0, 1),
                        ("model.households.local_job_share", 0, 1),
                        ("model.households.income_sigma", 0, 3),
                        ("model.market.response", 0, 100), ("model.market.inertia", 0, 1),
                        ("model.market.max_monthly_change", 0, 1),
                        ("model.market.vacancy_weight", 0, 100),
                        ("model.market.rent_pass_through", 0, 2),
                        ("model.market.construction_rate", 0, 1),
                        ("model.market.construction_cost_m2", 0, 1e6),
                        ("model.choice.size", -10, 10)):
        _number(cfg, key, lo, hi)
    if OmegaConf.select(cfg, "model.choice.sampling.alternatives") is not None:
        _number(cfg, "model.choice.sampling.alternatives", 1, 10_000, integer=True)
    _number(cfg, "model.choice.sampling.distance_exponent", 0, 20)
    _number(cfg, "model.choice.sampling.nearest", 0, 10_000, integer=True)
    for i, per in enumerate(cfg.scenario.telework):
        parse(per["from"], f"scenario.telework[{i}].from")
        _table(cfg, f"scenario.telework[{i}].share", 0.0, 1.0, workers)
        _table(cfg, f"scenario.telework[{i}].days", 0.0, 5.0, workers)
