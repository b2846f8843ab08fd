"""Policy plug-ins. Configure them in a scenario (``policies:`` list)::

    policies:
      - _target_: migrasim.policies.AccueilMission
        group: petr_haut_rouergue
        from: "2022-01"

Write a new one as a :class:`Policy` subclass with an ``Options`` model and a ``step``
that writes into ``model.levers`` (policies/base.py).
"""

from migrasim.policies.accueil import AccueilMission
from migrasim.policies.base import Policy, Targets, policy_class
from migrasim.policies.construction_cap import ConstructionCap

__all__ = ["AccueilMission", "ConstructionCap", "Policy", "Targets", "policy_class"]
