"""Policy plug-ins. Configure them in a scenario (``policies:`` list)::

    policies:
      - _target_: migrasim.policies.AccueilMission
        group: petr_haut_rouergue
        from: "2022-01"

Write a new one as a :class:`Policy` subclass with an ``Options`` model, its OPTER
``sheet``, a ``step`` that writes into ``model.levers`` and a ``cost`` (policies/base.py;
docs/policies.md).
"""

from migrasim.policies.accueil import AccueilMission
from migrasim.policies.base import SHEETS, Policy, Targets, policy_class
from migrasim.policies.broadband import Broadband
from migrasim.policies.construction_cap import ConstructionCap
from migrasim.policies.coworking import Coworking
from migrasim.policies.social_housing import SocialHousing
from migrasim.policies.transport import Transport
from migrasim.policies.vacancy import VacancyRemobilisation

__all__ = ["SHEETS", "AccueilMission", "Broadband", "ConstructionCap", "Coworking", "Policy",
           "SocialHousing", "Targets", "Transport", "VacancyRemobilisation", "policy_class"]
