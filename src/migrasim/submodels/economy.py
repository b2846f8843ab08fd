"""Economy: the national inputs of the month — mortgage rate, incomes, rent index.

A yearly table (``economy``, configs/economy/NAME.yaml) gives per year the average rate
of new housing loans (%), the nominal growth of households' disposable income (%) and
the growth of the rent reference index IRL (%). Each month of year y:

    rate               = mortgage_rate[y]                       (the year's value)
    income growth      = log(1 + income_growth[y] / 100) / 12   (Δlog, spread evenly)
    rent_index_growth  = log(1 + rent_index_growth[y] / 100) / 12
    income_index      ← income_index · exp(income growth)       (1 at the start)

and every household's income grows by the month's income growth, its budget (income /
housing factor of its profile) with it. Twelve months of a year compound to its annual
growth. The market reads ``rate``, ``income_index`` and ``rent_index_growth``
(submodels/market.py).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple

from pydantic import BeforeValidator, model_validator

from migrasim.params import Allowed, Params, fail, number
from migrasim.submodels.base import Submodel

if TYPE_CHECKING:
    from migrasim.model import MigrationModel

SERIES = ("mortgage_rate", "income_growth", "rent_index_growth")


def _years(value):
    """A table of year: value; years (four digits, written as numbers or strings) become
    strings, so that ``economy.mortgage_rate.2025=5.0`` overrides a year."""
    if not isinstance(value, Mapping) or not value:
        raise fail("a non-empty table of year: value, e.g. {'2019': 1.36}")
    out = {}
    for year, v in value.items():
        text = str(year)
        if isinstance(year, bool) or not (len(text) == 4 and text.isdigit()):
            raise fail("a year written with four digits, e.g. '2019'", key=text, value=v,
                       problem=f"bad year {text!r}")
        out[text] = v
    return out


def yearly(value: Any, what: str):
    """A table of year ('YYYY'): value."""
    return Annotated[dict[str, value], BeforeValidator(_years),
                     Allowed(f"a table of year: {what}")]


class EconomyParams(Params):
    """``economy`` (configs/economy/default.yaml): yearly national inputs, in %."""

    mortgage_rate: yearly(number(-5.0, 30.0), "average rate of new housing loans, %")
    income_growth: yearly(number(-50.0, 50.0), "disposable income growth, %")
    rent_index_growth: yearly(number(-50.0, 50.0), "IRL growth, %")

    @model_validator(mode="after")
    def _contiguous(self) -> EconomyParams:
        for name in SERIES:
            years = sorted(int(y) for y in getattr(self, name))
            for year in range(years[0], years[-1] + 1):
                if str(year) not in getattr(self, name):
                    raise fail(f"consecutive years from {years[0]} to {years[-1]}, none "
                               "missing", key=f"{name}.{year}", problem="missing")
        return self

    def check_years(self, first: int, last: int, run: str) -> None:
        """Refuse tables that lack a year of the run (``first``..``last``)."""
        for name in SERIES:
            for year in range(first, last + 1):
                if str(year) not in getattr(self, name):
                    raise fail(f"a value for every simulated year {first}..{last} ({run})",
                               key=f"{Economy.section}.{name}.{year}", problem="missing")


class Inputs(NamedTuple):
    """The national inputs of one month."""

    rate: float           # mortgage rate, %
    income_growth: float  # Δlog of incomes this month
    rent_growth: float    # Δlog of the rent reference index (IRL) this month


def monthly(params: EconomyParams, month: int) -> Inputs:
    """The inputs of absolute ``month`` (calendar.parse): its year's rate, and its year's
    growth spread evenly over the twelve months."""
    year = str(month // 12)
    return Inputs(rate=float(params.mortgage_rate[year]),
                  income_growth=math.log1p(params.income_growth[year] / 100.0) / 12.0,
                  rent_growth=math.log1p(params.rent_index_growth[year] / 100.0) / 12.0)


class Economy(Submodel):
    """National inputs of the month (mortgage rate, income growth, rent index) from the
    yearly economy table; every household's income grows with them."""

    name = "economy"
    title = "Economy"
    section = "economy"

    def init(self, model: MigrationModel) -> None:
        start = monthly(self.params, model.month)
        self.initial_rate = self.rate = start.rate  # %, the rate of the first year
        self.income_index = 1.0        # incomes relative to the start
        self.income_growth = 0.0       # Δlog of incomes this month
        self.rent_index_growth = 0.0   # Δlog of the IRL this month

    def at(self, month: int) -> Inputs:
        return monthly(self.params, month)

    def step(self, model: MigrationModel) -> None:
        inputs = self.at(model.month)
        self.rate, self.income_growth, self.rent_index_growth = inputs
        factor = math.exp(inputs.income_growth)
        self.income_index *= factor
        model.households.grow_incomes(factor, model.housing_factor)
