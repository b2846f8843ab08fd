"""migrasim: agent-based simulation of post-COVID residential moves in France.

Households choose among France's intercommunalités (EPCI) each month; their choices
move local housing prices, and prices move them back.
"""

from migrasim import territories
from migrasim.config import ConfigError, scenarios
from migrasim.maps import plot_map
from migrasim.model import MigrationModel
from migrasim.simulation import Results, Simulation
from migrasim.territories import Territories, TerritoryDataError

__all__ = ["ConfigError", "MigrationModel", "Results", "Simulation", "Territories",
           "TerritoryDataError", "plot_map", "scenarios", "territories"]
__version__ = "0.1.0"
