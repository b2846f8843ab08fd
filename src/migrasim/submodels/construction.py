"""Construction: new dwellings answer prices above the cost of building.

    new dwellings = stock · (monthly(base_rate)
                             + rate · max(0, local price / max(cost, initial price) − 1))

a month (local price: the price without the national component), capped by the
construction-cap lever (e.g. ZAN), added to the vacant stock once whole (a whole
simulated dwelling: finer in a focus area). Dwellings off the market (long-term vacant,
second homes) come back to it as the remobilisation levers say, without building,
likewise once whole.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from migrasim.kernels import construction
from migrasim.kernels.decision import monthly
from migrasim.params import NonNegative, Params, Probability
from migrasim.submodels.base import Submodel

if TYPE_CHECKING:
    from migrasim.model import MigrationModel


class ConstructionParams(Params):
    """``model.construction`` (configs/model/default.yaml)."""

    cost_m2: NonNegative   # a price below it builds nothing beyond the base rate
    base_rate: Probability  # yearly new dwellings as a share of stock, whatever the price
    rate: Probability      # monthly new dwellings per unit of price rise, share of stock


class Construction(Submodel):
    """New dwellings are built at a steady rate, and more where prices exceed the cost of
    building. Policies may bring dwellings off the market back to it."""

    name = "construction"
    title = "Construction"
    section = "model.construction"
    after = ("market",)

    def init(self, model: MigrationModel) -> None:
        self.built = np.zeros(len(model.territories))  # fractions of dwellings under way
        self.floor = np.maximum(model.submodels.market.initial_price, self.params.cost_m2)
        self.rates = (float(monthly(self.params.base_rate)), self.params.rate)
        self.unit = model.scale / model.territories.scale_of(model.scale)  # base units
        self.reopening = np.zeros((2, len(model.territories)))  # fractions coming back

    def step(self, model: MigrationModel) -> None:
        market = model.submodels.market
        # the floor follows the national price level (building costs and land follow it):
        # only a local price rise above it calls for more building
        construction.build(market.price / market.national_index, self.floor,
                           model.levers.construction_cap, self.rates,
                           self.built, model.stock.vacant, model.stock.dwellings, self.unit)
        self.reopen(model)

    def reopen(self, model: MigrationModel) -> None:
        """Long-term vacant dwellings and second homes back on the market this month, as
        the levers say (simulated dwellings; fractions carry over until whole)."""
        stock, levers = model.stock, model.levers
        for row, (pool, lever) in enumerate(((stock.long_term_vacant, "remobilised_vacant"),
                                             (stock.secondary, "remobilised_secondary"))):
            if levers.acting(lever):
                self.reopening[row] += getattr(levers, lever)
                # whole simulated dwellings: base units outside a focus area, finer in it
                whole = np.minimum(np.floor(self.reopening[row] / self.unit) * self.unit, pool)
                self.reopening[row] -= whole
                pool -= whole
                stock.vacant += whole
