"""The two kinds of user error, each reported in one line before any work starts."""

from __future__ import annotations


class ConfigError(ValueError):
    """A config value out of range, of the wrong type, unknown or missing.

    The message names the key, the value (or the problem) and what is allowed:
    ``scale: 2 is not allowed; allowed: a number in (0.0, 1.0]``.
    """

    def __init__(self, key: str, value, allowed: str, *, problem: str | None = None):
        self.key, self.value, self.allowed = key, value, allowed
        problem = problem or f"{value!r} is not allowed"
        super().__init__(f"{key}: {problem}; allowed: {allowed}")


class TerritoryDataError(ValueError):
    """Bad territory input: the message names the file, row, column and value."""


class IncompleteResultsError(FileNotFoundError):
    """A results directory that is not a finished save: no valid ``manifest.json``, or a
    file missing or changed since (experiments/manifest.py)."""

    def __init__(self, directory, problem: str):
        self.directory = directory
        super().__init__(f"{directory}: {problem}")


class InvariantError(RuntimeError):
    """The model's state broke a runtime invariant (observation/invariants.py): the
    message names the invariant, the territory (EPCI code and name) and the month."""
