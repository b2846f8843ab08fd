"""Housing market: a national price level driven by incomes and mortgage rates, and
local prices and rents that answer the month's expected excess demand and vacancy.

    log price_j = log initial price_j + national + local_j

National component (one number), a user-cost / affordability fundamental reached by
partial adjustment, from the month's economy (submodels/economy.py):

    target    = income_elasticity · log(income index) + rate_semi_elasticity · (rate − initial rate)
    national ← national + national_adjustment · (target − national)

Local component, per territory and month:

    vacancy   ← vacancy + (this month's vacancy rate − vacancy) / vacancy_months
    pressure  = (expected arrivals − expected departures) / stock
                − vacancy_weight · (vacancy − initial vacancy rate)
    smoothed  = inertia · smoothed + (1 − inertia) · pressure
    g         = clip(response · smoothed, ± max monthly change)
    local    ← local + g

Rents, their own slower index: sitting tenants' rents follow the rent reference index
(IRL, capped in 2022-2024), re-lettings part of the local price moves; the national
price component does not reach rents:

    Δlog rent_j = IRL Δlog of the month + rent_pass_through · g_j

Expected arrivals and departures are the month's move hazards times choice
probabilities, summed over every household (grouped in types: home, segment, job): the
demand households express, served or not (unmet demand pushes prices up). Demography
adds its own demand: the homes new households chose this month (served or not) minus
the dwellings dissolved and emigrating households left (their realised counts, smoothed
by the inertia like the rest of the pressure); the dwellings finished or back on the
market since the last month are supply and count against it. Using the
expectation rather than this month's few simulated movers keeps the price path free of
the sampling noise of the scale (a 1:100 territory may hold 30 households) and makes
scenario differences behavioural, not noise (design choice, docs/odd.md). Vacancy is
smoothed over about ``vacancy_months`` for the same reason: at 1:100 a territory has few
vacant units, and one more or one less is a step of several points.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from migrasim.kernels import choice, market
from migrasim.params import NonPositive, Params, number
from migrasim.population.types import household_types
from migrasim.submodels.base import Result, Submodel

if TYPE_CHECKING:
    from migrasim.model import MigrationModel

CHUNKS = 64  # fixed work split of the household types, independent of the thread count


class MarketParams(Params):
    """``model.market`` (configs/model/default.yaml)."""

    income_elasticity: number(0.0, 5.0)  # national target log price per log income
    rate_semi_elasticity: NonPositive     # national target log price per rate point
    national_adjustment: number(0.0, 1.0)  # monthly share of the national gap closed
    response: number(0.0, 100.0)
    vacancy_weight: number(0.0, 100.0)
    vacancy_months: number(1.0, 600.0)    # horizon of the vacancy's smoothing
    inertia: number(0.0, 1.0)
    max_monthly_change: number(0.0, 1.0)
    rent_pass_through: number(0.0, 2.0)


class HousingMarket(Submodel):
    """Prices follow a national level driven by incomes and mortgage rates and answer
    local excess demand and vacancy; rents follow the rent index and local prices."""

    name = "market"
    title = "Housing market"
    section = "model.market"
    after = ("economy", "decision", "choice")
    results = (Result("price_m2", "€/m²", "price of existing dwellings"),
               Result("rent_month", "€/month", "rent of a typical dwelling"))

    def init(self, model: MigrationModel) -> None:
        t, p = model.territories, self.params
        self.price = t.array("price_m2").copy()
        self.initial_price = self.price.copy()
        self.rent = t.array("rent_month").copy()
        self.smoothed = np.zeros(len(t))
        self.local = np.zeros(len(t))               # local log price component
        self.initial_vacancy = model.stock.vacancy()
        self.dwellings = model.stock.dwellings.copy()  # at the last market step
        self.off_market = model.stock.off_market()     # likewise
        self.vacancy = self.initial_vacancy.copy()  # smoothed vacancy rate
        self.national = 0.0                         # national log price component
        self.national_index = 1.0                   # exp(national): 1 at the start
        self.national_history: list[float] = []     # national_index at each month's end
        self.fundamentals = market.Fundamentals(
            income_elasticity=p.income_elasticity,
            rate_semi_elasticity=p.rate_semi_elasticity,
            adjustment=p.national_adjustment)
        self.adjustment = market.Adjustment(
            response=p.response, vacancy_weight=p.vacancy_weight,
            vacancy_smoothing=1.0 / p.vacancy_months, inertia=p.inertia,
            max_change=p.max_monthly_change, pass_through=p.rent_pass_through)

    def expected_flows(self, types: choice.Types,
                       tables: choice.Tables) -> tuple[np.ndarray, np.ndarray]:
        """Expected arrivals and departures a month per territory of household ``types``."""
        return choice.expected_flows(types, tables, CHUNKS)

    def step(self, model: MigrationModel) -> None:
        economy = model.submodels.economy
        self.national = market.national(self.national, economy.income_index,
                                        economy.rate - economy.initial_rate,
                                        self.fundamentals)
        self.national_index = float(np.exp(self.national))
        self.national_history.append(self.national_index)
        types = household_types(model.types, model.submodels.decision.type_sums)
        arrivals, departures = self.expected_flows(types, model.submodels.choice.tables)
        if "demography" in model.submodels:  # new households want homes, dissolved ones free
            arrivals = arrivals + model.submodels.demography.net_demand(model)
        # dwellings finished or back on the market since last month meet part of the demand
        off_market = model.stock.off_market()
        arrivals = arrivals - ((model.stock.dwellings - self.dwellings)
                               - (off_market - self.off_market))
        self.dwellings, self.off_market = model.stock.dwellings.copy(), off_market
        market.update(market.State(self.price, self.rent, self.smoothed, self.local,
                                   self.vacancy),
                      self.adjustment, market.Base(self.initial_price, self.initial_vacancy),
                      market.National(self.national, economy.rent_index_growth),
                      arrivals, departures, model.stock.vacant, model.stock.dwellings)

    def record(self, model: MigrationModel) -> dict[str, np.ndarray]:
        return {"price_m2": self.price.copy(), "rent_month": self.rent.copy()}
