"""Mesa models of the monthly step: the plain-Python test oracle and benchmark baseline
(``MesaReference``), and the numpy-per-agent benchmark baseline (``MesaNumpyReference``)."""

from migrasim.reference.mesa import HouseholdAgent, MesaReference
from migrasim.reference.numpy_agents import MesaNumpyReference, NumpyHouseholdAgent

__all__ = ["HouseholdAgent", "MesaNumpyReference", "MesaReference", "NumpyHouseholdAgent"]
