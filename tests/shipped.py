"""The shipped scenarios, for tests: a scenario whose policy classes are not in this
build yet is skipped, with the reason, instead of failing."""

from __future__ import annotations

import pytest

import migrasim
from migrasim.config import compose
from migrasim.errors import ConfigError
from migrasim.policies import policy_class


def missing_policies(name: str) -> list[str]:
    """The policy classes scenario ``name`` names that cannot be imported."""
    missing = []
    for spec in compose([f"scenario={name}"]).scenario.policies:
        try:
            policy_class(spec["_target_"])
        except ConfigError:
            missing.append(str(spec["_target_"]))
    return missing


def scenario_params(names: list[str] | None = None) -> list:
    """``pytest.param`` per scenario, skipped when its policy classes are missing."""
    out = []
    for name in names or migrasim.scenarios():
        missing = missing_policies(name)
        marks = [pytest.mark.skip(reason=f"{', '.join(missing)} not in this build yet "
                                         "(written on the policies branch)")] if missing else []
        out.append(pytest.param(name, marks=marks, id=name))
    return out
