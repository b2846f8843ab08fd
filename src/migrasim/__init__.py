"""migrasim: agent-based simulation of post-COVID residential moves in France.

Households choose among France's intercommunalités (EPCI) each month; their choices
move local housing prices, and prices move them back.
"""

from migrasim import territories
from migrasim.config import scenarios
from migrasim.errors import ConfigError, TerritoryDataError
from migrasim.experiments import Ensemble, Results, Simulation
from migrasim.model import MigrationModel
from migrasim.observation.maps import plot_map
from migrasim.territories import Territories

__all__ = ["ConfigError", "Ensemble", "MigrationModel", "Results", "Simulation", "Territories",
           "TerritoryDataError", "plot_map", "scenarios", "territories"]
__version__ = "0.1.0"
