"""Policies are plug-ins with a small lifecycle: ``start``, ``step`` (each month, before
households decide) and ``stop``. They act only through the model's policy levers, so
the core knows nothing of any specific policy:

* ``model.policy_utility[p, j]``: added to the utility of territory j for profile p;
* ``model.newcomer_hazard[j]``: multiplies the move and failure hazards of newcomers
  (arrived < 3 years ago) living in j;
* ``model.construction_cap[j]``: most new dwellings a month in j (simulated units).

Configure them in a scenario (``policies:`` list, hydra ``_target_`` style)::

    policies:
      - _target_: migrasim.policies.AccueilMission
        group: petr_haut_rouergue
        from: "2022-01"
"""

from __future__ import annotations

import numpy as np

from migrasim import calendar
from migrasim.config import ConfigError


class Policy:
    """Base class: select territories, then act between ``start`` and ``stop``."""

    def __init__(self, territories: list[str] | None = None, group: str | None = None,
                 kind: str | None = None, **when):
        name = type(self).__name__
        unknown = sorted(set(when) - {"from", "until"})
        if unknown:
            raise ConfigError(f"policies.{name}", unknown[0],
                              "the options of the policy's class, 'from' and 'until'")
        self.codes, self.group, self.kind = territories, group, kind
        self._first = calendar.parse(when["from"], f"policies.{name}.from") \
            if when.get("from") else -1
        self._last = calendar.parse(when["until"], f"policies.{name}.until") \
            if when.get("until") else 10**9
        self.where = np.array([], dtype=np.int64)

    def start(self, model) -> None:
        try:
            self.where = model.territories.select(codes=self.codes, group=self.group,
                                                  kind=self.kind)
        except KeyError as err:
            raise ConfigError(f"policies.{type(self).__name__}", self.group or self.codes,
                              f"territories of the study area ({err.args[0]})") from None

    def active(self, model) -> bool:
        return self._first <= model.month <= self._last

    def step(self, model) -> None:
        """Called each month before households decide."""

    def stop(self, model) -> None:
        """Called once after the last month."""


class AccueilMission(Policy):
    """A "Mission Accueil des nouveaux arrivants" (PETR du Haut-Rouergue): marketing that
    makes the territory better known to newcomers (utility bonus), and follow-up that makes
    newcomers stay (lower move and project-failure hazards)."""

    def __init__(self, marketing_bonus: float = 0.3, retention: float = 0.7,
                 profiles: list[str] | None = None, **kw):
        super().__init__(**kw)
        self.marketing_bonus, self.retention, self.profiles = marketing_bonus, retention, profiles

    def step(self, model) -> None:
        if not self.active(model):
            return
        rows = (slice(None) if self.profiles is None
                else [model.profiles.index(p) for p in self.profiles])
        model.policy_utility[np.ix_(np.atleast_1d(np.arange(len(model.profiles))[rows]),
                                    self.where)] += self.marketing_bonus
        model.newcomer_hazard[self.where] *= self.retention


class ConstructionCap(Policy):
    """Zéro artificialisation nette (ZAN): cap new dwellings, in real dwellings a year."""

    def __init__(self, dwellings_per_year: float = 0.0, **kw):
        super().__init__(**kw)
        self.dwellings_per_year = dwellings_per_year

    def step(self, model) -> None:
        if self.active(model):
            cap = self.dwellings_per_year * model.scale / 12.0
            model.construction_cap[self.where] = np.minimum(model.construction_cap[self.where],
                                                            cap)
