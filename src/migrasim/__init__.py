"""migrasim: agent-based simulation of post-COVID residential moves in France.

Households choose among France's intercommunalités (EPCI) each month; their choices
move local housing prices, and prices move them back.
"""

import os

# numba's OpenMP threads wait passively: with libgomp's default active waiting a step
# sharing the cores with another CPU-bound process (ensembles, calibration workers, a
# second run) took 2.4× its time alone, 1.85× with passive waiting, at the same speed
# alone (benchmarks/contention.py). Set before numba starts its threads; a value the
# user set wins.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

from migrasim import territories  # noqa: E402
from migrasim.config import scenarios  # noqa: E402
from migrasim.errors import ConfigError, TerritoryDataError  # noqa: E402
from migrasim.experiments import Ensemble, Results, Simulation  # noqa: E402
from migrasim.model import MigrationModel  # noqa: E402
from migrasim.observation.maps import plot_map  # noqa: E402
from migrasim.territories import Territories  # noqa: E402

__all__ = ["ConfigError", "Ensemble", "MigrationModel", "Results", "Simulation", "Territories",
           "TerritoryDataError", "plot_map", "scenarios", "territories"]
__version__ = "0.1.0"
