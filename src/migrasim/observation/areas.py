"""The areas a comparison reports on: the whole study area, a scenario's target and its
neighbours.

* ``national``: every EPCI of the study area;
* ``target``: the EPCI the scenario's policies act on, and its focus area;
* ``neighbours``: the EPCI outside the target whose centroid lies within
  ``NEIGHBOUR_RADIUS_KM`` of a target EPCI's centroid. The shipped data has no
  contiguity list (EPCI outlines are not shipped, and most communes have no centroid), so
  adjacency is approximated by centroid distance: 30 km is about twice the median
  distance between an EPCI's centroid and its nearest neighbour's (14 km), which keeps
  the first ring of EPCI around a target in rural France (for the PETR du Haut-Rouergue:
  Rodez, Conques-Marcillac, Pays de Salars, Lévézou Pareloup, Carladès and Aubrac Lot
  Causses Tarn).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from migrasim.config.schema import ScenarioConfig
from migrasim.submodels.levers import make_policies
from migrasim.territories import Territories

NEIGHBOUR_RADIUS_KM = 30.0  # design: see the module docstring
AREAS = ("national", "target", "neighbours")


def target(scenario: ScenarioConfig, area: Territories) -> list[str]:
    """EPCI codes the scenario's policies target, with its focus area (sorted; empty
    for a scenario with neither)."""
    rows: set[int] = set()
    for policy in make_policies(scenario.policies):
        rows.update(int(i) for i in policy.select(area))
    return sorted(set(area.codes[sorted(rows)]) | set(focus_codes(scenario.focus, area)))


def focus_codes(focus: str | list[str] | None, area: Territories) -> list[str]:
    """The EPCI codes of a focus (a group name or codes) that lie in the study area."""
    if focus is None:
        return []
    codes = area.groups[focus] if isinstance(focus, str) else focus
    return sorted(set(codes) & set(area.codes))


def neighbours(codes: Iterable[str], area: Territories,
               radius_km: float = NEIGHBOUR_RADIUS_KM) -> list[str]:
    """EPCI outside ``codes`` within ``radius_km`` of one of them, centroid to centroid."""
    inside = np.isin(area.codes, list(codes))
    if not inside.any():
        return []
    near = (area.distance_km[inside] <= radius_km).any(axis=0) & ~inside
    return sorted(area.codes[near])


def comparison_areas(scenarios: Mapping[str, ScenarioConfig], area: Territories,
                     radius_km: float = NEIGHBOUR_RADIUS_KM,
                     given: list[str] | None = None) -> dict[str, dict[str, list[str]]]:
    """Each scenario's ``target`` and ``neighbours`` codes. A scenario without a target of
    its own reports on the union of the others' (so that a telework future is seen on
    the territories a policy scenario targets); ``given`` codes replace every target."""
    own = {name: (given if given is not None else target(s, area))
           for name, s in scenarios.items()}
    union = sorted(set().union(*own.values()))
    out = {}
    for name, codes in own.items():
        codes = codes or union
        out[name] = {"target": codes, "neighbours": neighbours(codes, area, radius_km)}
    return out


def select(area: Territories, epci) -> np.ndarray:
    """Rows of ``epci`` in the study area: a group of territory.groups, an EPCI code, or
    a list of codes (None: every EPCI)."""
    if epci is None:
        return np.arange(len(area))
    if isinstance(epci, str):
        if epci in area.groups:
            return area.select(group=epci)
        epci = [epci]
    try:
        return area.select(codes=[str(c) for c in epci])
    except KeyError as err:
        raise ValueError(f"epci: {err.args[0]}; allowed: codes of the study area or one of "
                         f"the groups {sorted(area.groups)}") from None
