"""What every submodel is: parameters, state and results it owns, and a lifecycle.

After Starsim's ``Module``: a submodel declares its parameters (a :class:`Params` model,
found in the config at ``section``) and the per-territory results it reports each month;
its state is its own attributes. The model calls, in this order:

* ``init(model)`` once, when the territories, the households and the housing stock exist
  (in the order of the schedule, then the initialisation submodels);
* ``step(model)`` once a month, in the order of ``MigrationModel.schedule``;
* ``finalize(model)`` once, after the last month.

A submodel reads what others own through ``model.submodels.<name>``; its numba kernels
(``migrasim.kernels``) take arrays and small typed bundles, never the model.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from operator import attrgetter
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from migrasim.errors import ConfigError

if TYPE_CHECKING:
    from migrasim.model import MigrationModel


@dataclass(frozen=True)
class Result:
    """A per-territory monthly result, a column of ``territories.parquet``."""

    name: str
    unit: str  # "households" and "dwellings" are weighted by 1 / scale in the tables
    doc: str

    @property
    def count(self) -> bool:
        return self.unit in ("households", "dwellings")


class Submodel:
    """One process of the ODD protocol (docs/odd.md §3 and §7)."""

    name: ClassVar[str]              # key in ``model.submodels``
    title: ClassVar[str]             # its name in the ODD protocol
    section: ClassVar[str | None] = None  # dotted path of its parameters in the config
    results: ClassVar[tuple[Result, ...]] = ()
    after: ClassVar[tuple[str, ...]] = ()  # submodels whose output of the month it reads
    reads: ClassVar[tuple[str, ...]] = ()  # other submodels whose state it reads

    def __init__(self, params: Any = None):
        self.params = params

    @classmethod
    def from_config(cls, config, **kwargs) -> Submodel:
        """The submodel with its parameters read from ``config`` at ``section``."""
        if cls.section is None:
            return cls(None, **kwargs)
        try:
            params = attrgetter(cls.section)(config)
        except AttributeError:
            raise ConfigError("schedule", cls.__name__, f"submodels whose parameters "
                              f"({cls.section}) are in the config schema, or an instance "
                              "with its parameters") from None
        return cls(params, **kwargs)

    def init(self, model: MigrationModel) -> None:
        """Set up state once the territories, households and housing stock exist."""

    def step(self, model: MigrationModel) -> None:
        """One month."""

    def finalize(self, model: MigrationModel) -> None:
        """After the last month."""

    def record(self, model: MigrationModel) -> dict[str, np.ndarray]:
        """This month's per-territory results, by the names of ``results``."""
        return {}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.title!r}>"


class Submodels(dict):
    """The model's submodels by name, also as attributes: ``model.submodels.market``."""

    def __getattr__(self, name: str) -> Submodel:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"no submodel {name!r}; submodels: {list(self)}") from None


class Schedule(tuple):
    """The submodels one month runs, in order. ``str(schedule)`` is the list printed in
    docs/odd.md §3 (a test keeps them equal)."""

    def check(self, others: Iterable[Submodel] = ()) -> None:
        """Refuse a schedule that runs a submodel twice, before the submodels whose
        output of the month it reads, or without one whose state it or one of ``others``
        (the initialisation submodels) reads."""
        names, others = list(self.names), list(others)
        every = names + [o.name for o in others]
        for i, s in enumerate(self):
            if s.name in every[:i] or every.count(s.name) > 1:
                raise ConfigError("schedule", names, f"each submodel once ({s.name!r} twice)")
            for other in s.after:
                if other not in names[:i]:
                    raise ConfigError("schedule", names, f"{s.name!r} after {other!r}, whose "
                                      "output of the month it reads")
        for s in [*self, *others]:
            for other in s.reads:
                if other not in every:
                    raise ConfigError("schedule", names, f"a {other!r} submodel, whose state "
                                      f"{s.name!r} reads")

    def __str__(self) -> str:
        return "\n".join(
            f"{i}. **{s.title}** (`{type(s).__module__}.{type(s).__name__}`): "
            f"{_summary(type(s))}" for i, s in enumerate(self, 1))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self)


def _summary(cls: type) -> str:
    """First sentence of a class docstring, on one line."""
    doc = " ".join((cls.__doc__ or "").split())
    return doc.split(". ")[0].rstrip(".") + "."
