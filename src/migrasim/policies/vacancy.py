"""Habitat: long-term vacant homes back on the market."""

from __future__ import annotations

import numpy as np

from migrasim.kernels.decision import monthly
from migrasim.params import Flag, NonNegative, Probability
from migrasim.policies.base import Policy, Targets


class VacancyRemobilisation(Policy):
    """Long-term vacant dwellings (and second homes, with ``secondary``) brought back on
    the market: ``share_per_year`` of those of the targets a year, without building (no
    land take). Movers can take them, and the market counts them as supply."""

    sheet = "Habitat"

    class Options(Targets):
        share_per_year: Probability = 0.05  # design: an active programme (OPAH with
        #                                     vacancy premiums) brings back a few % a year
        secondary: Flag = False             # second homes too (true)
        # ANAH grants to landlords (rules of 2019, délibération n° 2019-38): 25–35 % of
        # works of at most 750–1,000 € HT/m² over at most 80 m², 15,000–28,000 € a
        # dwelling; the lower end, not every vacant home being very degraded
        cost_per_dwelling: NonNegative = 15_000.0

    def coming_back(self, model) -> tuple[np.ndarray, np.ndarray]:
        """This month's long-term vacant dwellings and second homes (simulated) of each
        target brought back: the monthly share of a yearly ``share_per_year``."""
        rate, stock = float(monthly(self.options.share_per_year)), model.stock
        second = (stock.secondary[self.where] if self.options.secondary
                  else np.zeros(self.where.size))
        return rate * stock.long_term_vacant[self.where], rate * second

    def step(self, model) -> None:
        if self.active(model):
            vacant, second = self.coming_back(model)
            model.levers.remobilised_vacant[self.where] += vacant
            model.levers.remobilised_secondary[self.where] += second

    def cost(self, model) -> np.ndarray:
        vacant, second = self.coming_back(model)
        return self.spend(model, (vacant + second) / model.scale * self.options.cost_per_dwelling)
