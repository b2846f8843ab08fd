"""Housing market: local prices and rents answer the month's expected excess demand.

Per territory and month:

    pressure  = (expected arrivals − expected departures) / stock
                − vacancy_weight · (vacancy − initial vacancy)
    smoothed  = inertia · smoothed + (1 − inertia) · pressure
    Δlog price = clip(response · smoothed, ± max monthly change)
    Δlog rent  = rent_pass_through · Δlog price

Expected arrivals and departures are the month's move hazards times choice
probabilities, summed over every household (grouped in types: home, profile, job): the
demand households express, served or not (unmet demand pushes prices up). Using the
expectation rather than this month's few simulated movers keeps the price path free of
the sampling noise of the scale (a 1:100 territory may hold 30 households) and makes
scenario differences behavioural, not noise (design choice, docs/odd.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from migrasim.kernels import choice, market
from migrasim.params import Params, number
from migrasim.population.types import household_types
from migrasim.submodels.base import Result, Submodel

if TYPE_CHECKING:
    from migrasim.model import MigrationModel

CHUNKS = 64  # fixed work split of the household types, independent of the thread count


class MarketParams(Params):
    """``model.market`` (configs/model/default.yaml)."""

    response: number(0.0, 100.0)
    vacancy_weight: number(0.0, 100.0)
    inertia: number(0.0, 1.0)
    max_monthly_change: number(0.0, 1.0)
    rent_pass_through: number(0.0, 2.0)


class HousingMarket(Submodel):
    """Prices and rents answer the expected excess demand of the month."""

    name = "market"
    title = "Housing market"
    section = "model.market"
    after = ("decision", "choice")
    results = (Result("price_m2", "€/m²", "price of existing dwellings"),
               Result("rent_month", "€/month", "rent of a typical dwelling"))

    def init(self, model: MigrationModel) -> None:
        t, p = model.territories, self.params
        self.price = t.array("price_m2").copy()
        self.initial_price = self.price.copy()
        self.rent = t.array("rent_month").copy()
        self.smoothed = np.zeros(len(t))
        self.initial_vacancy = model.stock.vacancy()
        self.adjustment = market.Adjustment(
            response=p.response, vacancy_weight=p.vacancy_weight, inertia=p.inertia,
            max_change=p.max_monthly_change, pass_through=p.rent_pass_through)

    def expected_flows(self, types: choice.Types,
                       tables: choice.Tables) -> tuple[np.ndarray, np.ndarray]:
        """Expected arrivals and departures a month per territory of household ``types``."""
        return choice.expected_flows(types, tables, CHUNKS)

    def step(self, model: MigrationModel) -> None:
        types = household_types(model.types, model.submodels.decision.type_sums)
        arrivals, departures = self.expected_flows(types, model.submodels.choice.tables)
        market.update(market.State(self.price, self.rent, self.smoothed), self.adjustment,
                      arrivals, departures, model.stock.vacant, model.stock.dwellings,
                      self.initial_vacancy)

    def record(self, model: MigrationModel) -> dict[str, np.ndarray]:
        return {"price_m2": self.price.copy(), "rent_month": self.rent.copy()}
