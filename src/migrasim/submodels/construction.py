"""Construction: new dwellings answer prices above the cost of building.

    new dwellings = rate · stock · max(0, price / max(cost, initial price) − 1)

a month, capped by the construction-cap lever (e.g. ZAN), added to the vacant stock
once whole.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from migrasim.kernels import construction
from migrasim.params import NonNegative, Params, Probability
from migrasim.submodels.base import Submodel

if TYPE_CHECKING:
    from migrasim.model import MigrationModel


class ConstructionParams(Params):
    """``model.construction`` (configs/model/default.yaml)."""

    cost_m2: NonNegative   # a price below it builds nothing
    rate: Probability      # monthly new dwellings per unit of price rise, share of stock


class Construction(Submodel):
    """New dwellings are built where prices exceed the cost of building."""

    name = "construction"
    title = "Construction"
    section = "model.construction"
    after = ("market",)

    def init(self, model: MigrationModel) -> None:
        self.built = np.zeros(len(model.territories))  # fractions of dwellings under way
        self.floor = np.maximum(model.submodels.market.initial_price, self.params.cost_m2)

    def step(self, model: MigrationModel) -> None:
        construction.build(model.submodels.market.price, self.floor,
                           model.levers.construction_cap, self.params.rate, self.built,
                           model.stock.vacant, model.stock.dwellings)
