"""Checks of a command line's own arguments, before hydra starts anything.

Hydra takes the last of a key given twice, names a mistyped launcher in a multi-line
traceback, and finds an output directory it cannot write only after the run (or not
at all). These checks turn each into one :class:`~migrasim.ConfigError` line.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from hydra import initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import OmegaConf

from migrasim.errors import ConfigError
from migrasim.params import suggest

__all__ = ["check_arguments"]


def check_arguments(arguments: Iterable[str], config_dir: Path) -> None:
    """Every key once, hydra's config groups known, the output directory writable."""
    arguments = list(arguments)
    overrides = [a for a in arguments if not a.startswith("-")]
    _no_duplicates(overrides)
    _hydra_groups(overrides, config_dir)
    multirun = any(a in ("-m", "--multirun") for a in arguments)
    _output_dir(overrides, config_dir, "hydra.sweep.dir" if multirun else "hydra.run.dir")


def _no_duplicates(overrides: Iterable[str]) -> None:
    """Refuse a key given twice (hydra would silently keep the last value)."""
    seen: dict[str, str] = {}
    for a in overrides:
        key, _, value = a.partition("=")
        key = key.lstrip("+~")
        if key in seen:
            raise ConfigError(key, value, "each key once on a command line",
                              problem=f"given twice ({seen[key]!r}, then {value!r})")
        seen[key] = value


def _hydra_groups(overrides: list[str], config_dir: Path) -> None:
    """``hydra/launcher=...``, ``hydra/sweeper=...``: an option hydra knows."""
    chosen = [a.lstrip("+~").partition("=") for a in overrides
              if a.lstrip("+~").startswith("hydra/")]
    if not chosen:
        return
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(config_dir), version_base="1.3"):
            loader = GlobalHydra.instance().config_loader()
            for group, _, option in chosen:
                options = loader.get_group_options(group)
                if not options:
                    raise ConfigError(group, option, "a hydra config group such as "
                                      "hydra/launcher", problem=f"unknown group {group!r}")
                if option not in options:
                    raise ConfigError(group, option, f"one of {options}"
                                      f"{suggest(option, options)}")
    finally:
        GlobalHydra.instance().clear()


def _output_dir(overrides: list[str], config_dir: Path, key: str) -> None:
    """The directory hydra will write (its literal part, before any ``${...}``) is a
    directory that exists or can be created, and is writable."""
    given = [a.partition("=")[2] for a in overrides if a.lstrip("+~").startswith(f"{key}=")]
    if given:
        value = given[-1]
    else:  # the default of configs/config.yaml, unresolved
        hydra = OmegaConf.to_container(OmegaConf.load(config_dir / "config.yaml").hydra)
        value = str(hydra[key.split(".")[1]]["dir"])
    literal = value.split("${", 1)[0]
    path = Path(literal or ".")
    if "${" in value and literal and not literal.endswith("/"):
        path = path.parent  # a name completed by the interpolation
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    allowed = "a directory that exists or can be created, and is writable"
    if not existing.is_dir():
        raise ConfigError(key, value, allowed, problem=f"{existing} is a file")
    try:  # a real write: permissions alone miss read-only mounts and root's rights
        os.rmdir(tempfile.mkdtemp(prefix=".migrasim-probe-", dir=existing))
    except OSError as err:
        raise ConfigError(key, value, allowed,
                          problem=f"{existing} is not writable ({err.strerror})") from None
