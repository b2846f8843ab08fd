"""Running experiments: a configured run (``Simulation``), its results (``Results``), and
scenarios × seeds reduced to bands (``Ensemble``)."""

from migrasim.experiments.ensemble import Ensemble
from migrasim.experiments.results import Results
from migrasim.experiments.simulation import Simulation

__all__ = ["Ensemble", "Results", "Simulation"]
