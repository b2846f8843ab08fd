"""The submodels of the ODD protocol, one module each (docs/odd.md §3 and §6).

Each is a :class:`Submodel` owning its parameters (a ``Params`` model), its state and
its per-territory results, with the lifecycle ``init`` / ``step`` / ``finalize``; the
model's schedule (``migrasim.model.SCHEDULE``) orders them.
"""

from migrasim.submodels.ageing import Ageing
from migrasim.submodels.base import Result, Schedule, Submodel, Submodels
from migrasim.submodels.capacity import Capacity
from migrasim.submodels.choice import LocationChoice
from migrasim.submodels.constants import TerritoryConstants
from migrasim.submodels.construction import Construction
from migrasim.submodels.decision import MoveDecision
from migrasim.submodels.levers import Levers, Policies
from migrasim.submodels.market import HousingMarket
from migrasim.submodels.relocation import Relocation
from migrasim.submodels.shocks import Shocks
from migrasim.submodels.telework import Telework

__all__ = ["Ageing", "Capacity", "Construction", "HousingMarket", "Levers", "LocationChoice",
           "MoveDecision", "Policies", "Relocation", "Result", "Schedule", "Shocks",
           "Submodel", "Submodels", "Telework", "TerritoryConstants"]
