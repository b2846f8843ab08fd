"""The config tree (``configs/``): composing it, checking it, and the jobs of a sweep.

``load(["scenario=covid", "scale=0.001"])`` gives the checked config of the command line
with those overrides; ``validate`` checks a composed tree against the schema
(config/schema.py) and fails on the first bad value with a one-line
:class:`~migrasim.ConfigError` naming the key, the value and what is allowed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml
from hydra import compose as hydra_compose
from hydra import initialize_config_dir
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from pydantic import ValidationError

from migrasim.config.schema import Config, Roles
from migrasim.errors import ConfigError
from migrasim.params import config_error, keys_at, open_table, suggest
from migrasim.policies import policy_class

CONFIG_DIR = Path(__file__).parents[1] / "configs"
_OVERRIDE = re.compile(r"Could not override '([^']+)'")
_MERGE = re.compile(r"Error merging override ([^=\s]+)=")
_GROUP = re.compile(r"Could not find '([^'/]+)/([^']+)'")
_PACKAGED = re.compile(r"Could not override '([^']+)'\.\s*Did you mean to override ([^?\s]+)\?")

__all__ = ["CONFIG_DIR", "DEFAULT", "Config", "comparison", "compose", "configure", "jobs", "load",
           "scenarios", "validate"]


def scenarios() -> list[str]:
    """Names of the shipped scenarios."""
    return sorted(p.stem for p in (CONFIG_DIR / "scenario").glob("*.yaml"))


def compose(overrides: Iterable[str] = (), config_name: str = "config") -> DictConfig:
    """The main config (or another primary config of ``configs/``, e.g. ``compare``) with
    hydra-style overrides, without running hydra's app (not yet checked: see
    :func:`load`)."""
    overrides = list(overrides)
    requested = [a.split("=", 1)[1] for a in overrides if a.startswith("scenario=")]
    for name in requested:
        if name not in scenarios():
            sweep = " (a comma sweep needs --multirun)" if "," in name else ""
            raise ConfigError("scenario", name, f"one of {scenarios()}{sweep}")
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
            cfg = hydra_compose(config_name=config_name, overrides=overrides)
    except HydraException as err:
        raise _hydra_error(err, overrides) from None
    except yaml.YAMLError as err:  # a config file that is not YAML
        where = str(getattr(err, "problem_mark", "") or "").strip().replace("\n", " ")
        raise ConfigError("configs", where or "a file", f"valid YAML ({err.problem})") \
            from None
    finally:
        GlobalHydra.instance().clear()
    OmegaConf.set_struct(cfg, False)
    cfg.pop("hydra", None)
    named = cfg.get("scenario", {}).get("name")
    renamed = any(a.lstrip("+").startswith("scenario.name=") for a in overrides)
    if requested and named != requested[-1] and not renamed:
        raise ConfigError("scenario.name", named, f"{requested[-1]!r}, the name of its file "
                          f"configs/scenario/{requested[-1]}.yaml (or set scenario.name=...)")
    return cfg


def _hydra_error(err: HydraException, overrides: list[str]) -> ConfigError:
    """Hydra's composition errors as one line, with the closest valid key."""
    text = str(err)
    full = getattr(err.__cause__, "full_key", None)  # e.g. scenario.shocks[0].untill
    m = _PACKAGED.search(text)
    if m:  # a group placed in a package, e.g. a scenario's telework future
        value = next((a.split("=", 1)[1] for a in overrides
                      if a.split("=", 1)[0].lstrip("+~") == m.group(1)), None)
        return ConfigError(m.group(1), value, f"{m.group(2)}={value}",
                           problem=f"{m.group(1)!r} is set inside another config")
    m = _OVERRIDE.search(text) or _MERGE.search(text)
    if m:
        target = m.group(1)  # as written, e.g. scenario.shocks.0.untill
        value = next((a.split("=", 1)[1] for a in overrides
                      if a.split("=", 1)[0].lstrip("+~") == target), None)
        path = re.sub(r"\[(\d+)\]", r".\1", full or target).split(".")
        key = full or target
        rest = [a for a in overrides if a.split("=", 1)[0].lstrip("+~") != target]
        node = _existing(path[:-1], rest)
        if "index out of range" in str(err.__cause__):
            size = len(node) if node is not None else 0
            return ConfigError(key, value, f"an entry 0..{size - 1}, or the whole list "
                               f"({'.'.join(path[:-1])}=[...])", problem="no such entry")
        grows, allowed = open_table(Config, path[:-1])
        keys = keys_at(Config, path[:-1]) or list(allowed or ()) or (
            [str(k) for k in node] if isinstance(node, DictConfig) else [])
        table = f" (a new key: +{'.'.join(path)}=...)" if grows else ""
        if grows and path[-1] in keys:  # allowed, but hydra adds keys only with +
            shown = value if path == target.split(".") else "..."
            return ConfigError(key, value, f"adding it with +{'.'.join(path)}={shown}",
                               problem=f"new key {path[-1]!r}")
        return ConfigError(key, value, f"the keys {keys}{table}{suggest(path[-1], keys)}",
                           problem=f"unknown key {path[-1]!r}")
    m = _GROUP.search(text)
    if m:
        options = sorted(p.stem for p in (CONFIG_DIR / m.group(1)).glob("*.yaml"))
        return ConfigError(m.group(1), m.group(2), f"one of {options}")
    parser = OverridesParser.create()
    for a in overrides:  # name the override hydra cannot read
        try:
            parser.parse_override(a)
        except HydraException as bad:
            key, _, value = a.partition("=")
            reason = str(bad).strip().splitlines()[0]
            return ConfigError(key.lstrip("+~"), value, f"a value hydra can read ({reason})")
    first = text.strip().splitlines()[0] if text.strip() else type(err).__name__
    return ConfigError("overrides", " ".join(overrides), f"hydra overrides key=value ({first})")


def _existing(path: list[str], overrides: list[str]):
    """The node at ``path`` of the tree composed with ``overrides`` (None if unknown)."""
    try:
        return OmegaConf.select(compose(overrides), ".".join(path)) if path else None
    except ConfigError:
        return None


def validate(cfg: Config | DictConfig | Mapping) -> Config:
    """The checked config: the schema, then what needs several sections (policies)."""
    if isinstance(cfg, Config):
        return cfg
    if not isinstance(cfg, DictConfig | Mapping):
        raise ConfigError("config", type(cfg).__name__,
                          "a migrasim Config, an omegaconf DictConfig or a mapping")
    data = OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) \
        else dict(cfg)
    data.pop("hydra", None)
    model = data.get("model")
    try:
        roles = Roles.model_validate(model if isinstance(model, Mapping) else {})
    except ValidationError as err:
        raise config_error(err, Roles, "model") from None
    context = {**roles.context(), "scenarios": scenarios()}
    try:
        config = Config.model_validate(data, context=context)
    except ValidationError as err:
        raise config_error(err, Config) from None
    _check_policies(config, context)
    return config


def _check_policies(config: Config, context: dict) -> None:
    groups = config.territory.groups
    focus = config.scenario.focus
    if isinstance(focus, str) and focus not in groups:
        raise ConfigError("scenario.focus", focus, f"null, EPCI codes or one of the groups of "
                          f"territory.groups {sorted(groups)}{suggest(focus, groups)}")
    for i, spec in enumerate(config.scenario.policies):
        key = f"scenario.policies[{i}]"
        if "_target_" not in spec:
            raise ConfigError(f"{key}._target_", None, "the dotted path of a policy class, "
                              "e.g. migrasim.policies.AccueilMission", problem="missing")
        try:
            cls = policy_class(spec["_target_"])
        except ConfigError as err:
            raise ConfigError(f"{key}._target_", err.value, err.allowed) from None
        options = {k: v for k, v in spec.items() if k != "_target_"}
        try:
            checked = cls.Options.model_validate(options, context=context)
        except ValidationError as err:
            raise config_error(err, cls.Options, key) from None
        if checked.group is not None and checked.group not in groups:
            raise ConfigError(f"{key}.group", checked.group,
                              f"one of the groups of territory.groups {sorted(groups)}"
                              f"{suggest(checked.group, groups)}")


def comparison(config: Config, scenario: str) -> Config:
    """The config of the run ``config`` is compared with: the same settings under the
    shipped ``scenario`` (``compare_to``), with no comparison of its own."""
    data = config.model_dump(by_alias=True)
    data["scenario"] = OmegaConf.to_container(compose([f"scenario={scenario}"]).scenario,
                                              resolve=True)
    data["compare_to"] = None
    return validate(data)


def load(overrides: Iterable[str] = ()) -> Config:
    """The checked config of the command line with these overrides."""
    return validate(compose(overrides))


class _Default:
    """A keyword argument left to the config's default."""

    def __repr__(self) -> str:
        return "<the config's default>"


DEFAULT = _Default()


def configure(config: Config | DictConfig | Mapping | None = None, *,
              scenario: str | None = None, seed: int | None = None, rng: int | None = None,
              scale: float | None = None, months: int | None = None,
              compare_to: str | None | _Default = DEFAULT,
              overrides: Iterable[str] = ()) -> Config:
    """The checked config from a config already made, or from the defaults with
    ``overrides`` and then the keyword arguments given (``rng`` is Mesa's name for
    ``seed``); a config and keyword arguments or overrides together are refused."""
    if isinstance(overrides, str) or not isinstance(overrides, Iterable):
        raise ConfigError("overrides", overrides, "a list of hydra overrides, e.g. "
                          "['scale=0.001', 'territory.departements=[\"12\"]']")
    overrides = list(overrides)
    for key, value in (("seed", seed), ("rng", rng)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ConfigError(key, value, "an integer seed ≥ 0")
    if rng is not None:
        if seed is not None and seed != rng:
            raise ConfigError("rng", rng, f"the same value as seed ({seed}), or only one")
        seed = rng
    given = {k: v for k, v in (("scenario", scenario), ("seed", seed), ("scale", scale),
                               ("months", months)) if v is not None}
    if compare_to is not DEFAULT:
        given["compare_to"] = "null" if compare_to is None else compare_to
    if config is not None:
        if given or overrides:
            raise ConfigError("config", f"with {sorted(given) or overrides}", "either a config "
                              "or keyword arguments and overrides, not both")
        return validate(config)
    return load([*overrides, *(f"{k}={v}" for k, v in given.items())])


def jobs(arguments: Iterable[str]) -> list[list[str]]:
    """The overrides of every job a command line runs: one job, or each job of a
    ``--multirun`` sweep (hydra's own expansion); hydra's settings are left out."""
    arguments = list(arguments)
    multirun = any(a in ("-m", "--multirun") for a in arguments)
    overrides = [a for a in arguments if not a.startswith("-")
                 and not a.lstrip("+~").startswith(("hydra.", "hydra/"))]
    if not multirun:
        return [overrides]
    try:
        parsed = OverridesParser.create().parse_overrides(overrides)
    except HydraException as err:
        raise _hydra_error(err, overrides) from None
    return [job for batch in BasicSweeper.split_arguments(parsed, None) for job in batch]
