"""The plain-Mesa reference of the monthly step: benchmark baseline and test oracle."""

from migrasim.reference.mesa import HouseholdAgent, MesaReference

__all__ = ["HouseholdAgent", "MesaReference"]
