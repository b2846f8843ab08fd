"""Running experiments: a configured run (``Simulation``) and its results (``Results``)."""

from migrasim.experiments.results import Results
from migrasim.experiments.simulation import Simulation

__all__ = ["Results", "Simulation"]
