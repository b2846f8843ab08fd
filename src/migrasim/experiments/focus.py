"""The focus of a comparison: the area every run of it simulates at full scale.

Runs compared seed by seed must hold the same households (common random numbers), so a
scenario and its reference — every scenario of an ensemble — share one focus: the union
of their scenarios' ``focus`` (``scenario.focus``: a group of ``territory.groups`` or EPCI
codes). :func:`focus_overrides` is the one place that turns it into the config overrides
each run gets; ``Simulation`` and ``Ensemble`` both go through it.

The overrides set ``territory.focus`` (population/focus.py: the focus area runs at
``territory.focus_scale`` inside the study area at ``scale``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import OmegaConf

from migrasim.config import Config, validate
from migrasim.config.schema import ScenarioConfig

KEY = "territory.focus"


def comparison_focus(scenarios: Iterable[ScenarioConfig],
                     groups: Mapping[str, list[str]]) -> str | list[str] | None:
    """The union of the scenarios' focus: None when none has one, the group's name when
    every focus is that one group, else the sorted EPCI codes of all of them."""
    foci = [s.focus for s in scenarios if s.focus is not None]
    if not foci:
        return None
    if all(isinstance(f, str) for f in foci) and len(set(foci)) == 1:
        return foci[0]
    codes: set[str] = set()
    for f in foci:
        codes.update(groups[f] if isinstance(f, str) else f)
    return sorted(codes)


def focus_overrides(scenarios: Iterable[ScenarioConfig],
                    groups: Mapping[str, list[str]]) -> list[str]:
    """The overrides that give every run of a comparison of ``scenarios`` the same focus
    (their union), e.g. ``["territory.focus=petr_haut_rouergue"]``; ``[]`` without one."""
    focus = comparison_focus(scenarios, groups)
    if focus is None:
        return []
    return [f"{KEY}={_hydra_value(focus)}"]


def apply_overrides(config: Config, overrides: list[str]) -> Config:
    """``config`` with hydra-style ``key=value`` overrides applied, checked again (the
    same config when there are none)."""
    if not overrides:
        return config
    tree = OmegaConf.create(config.model_dump(by_alias=True))
    for override in OverridesParser.create().parse_overrides(overrides):
        OmegaConf.update(tree, override.key_or_group, override.value(), merge=False,
                         force_add=True)
    return validate(tree)


def _hydra_value(focus: Any) -> str:
    return focus if isinstance(focus, str) else "[" + ",".join(f'"{c}"' for c in focus) + "]"
