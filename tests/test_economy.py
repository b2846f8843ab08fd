"""The national economy and what the market makes of it, as a specification.

The economy table (configs/economy/default.yaml, ``economy``) gives per year the mortgage
rate (%), households' income growth (%) and the IRL's growth (%). Each month of year y
(submodels/economy.py): rate = rate[y]; income Δlog = log(1 + growth[y]/100) / 12, every
household's income and budget growing with it; IRL Δlog = log(1 + irl[y]/100) / 12.

The market (submodels/market.py): log price = log initial + national + local, with

    national ← national + a · (e · log(income index) + s · (rate − initial rate) − national)

(defaults e = 1, s = −0.09 a point, a = 0.075 a month), the local component the pressure
rule with a smoothed vacancy (smoothed ← smoothed + (vacancy − smoothed) / 12), and rents
Δlog rent = IRL Δlog + pass-through · local Δlog price: the national component never
reaches rents. Expected values are worked out by hand.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from migrasim import ConfigError, MigrationModel, calendar
from migrasim.config import load
from migrasim.kernels import market
from migrasim.submodels.economy import EconomyParams, monthly

LOZERE = ['territory.departements=["48"]']
FLAT = {str(y): 0.0 for y in range(2015, 2027)}


def _table(rate=None, income=None, irl=None) -> EconomyParams:
    """An economy table: flat unless given (years 2015..2026)."""
    return EconomyParams(mortgage_rate={**{y: 2.0 for y in FLAT}, **(rate or {})},
                         income_growth={**FLAT, **(income or {})},
                         rent_index_growth={**FLAT, **(irl or {})})


def _years(series: str, values: dict) -> list[str]:
    """Overrides setting some years of one series."""
    return [f"economy.{series}.{year}={value}" for year, value in values.items()]


# --- monthly inputs from the yearly table -------------------------------------------

def test_a_year_s_growth_is_spread_evenly_over_its_twelve_months():
    table = _table(rate={"2020": 1.5, "2021": 3.0}, income={"2020": 2.4},
                   irl={"2020": 3.5})
    months = [calendar.parse(f"2020-{m:02d}") for m in range(1, 13)]
    inputs = [monthly(table, m) for m in months]
    # income: Δlog = log(1.024) / 12 = 0.0019762... every month; twelve of them make 1.024
    assert all(i.income_growth == pytest.approx(0.0019762, rel=1e-4) for i in inputs)
    assert math.exp(sum(i.income_growth for i in inputs)) == pytest.approx(1.024)
    # IRL capped at 3.5 %: (1.035)^(1/12) a month, 1.035 over the year
    assert math.exp(12 * inputs[5].rent_growth) == pytest.approx(1.035)
    # the rate is the year's value in each of its months, the next year's from January
    assert [i.rate for i in inputs] == [1.5] * 12
    assert monthly(table, calendar.parse("2021-01")).rate == 3.0
    assert monthly(table, calendar.parse("2019-12")).income_growth == 0.0


def test_incomes_and_budgets_grow_with_the_economy_month_by_month():
    """Income growth of 6 % in 2020 and 0 in 2021, twelve economy steps from 2020-07: half
    of 2020's growth (√1.06) then none; budgets stay income / housing factor. (The
    economy's step alone: the rest of the month — retirement, new households — changes
    some incomes for other reasons.)"""
    m = MigrationModel("baseline", scale=0.002, months=12, collect=False, overrides=[
        *LOZERE, "start=2020-07", *_years("income_growth", {"2020": 6.0, "2021": 0.0})])
    assert m.schedule[0] is m.submodels.economy  # first in the month
    economy, hh = m.submodels.economy, m.households
    income = hh.income.copy()
    start = m.month
    for month in range(start, start + 12):
        m.month = month
        economy.step(m)
        if month == start:
            assert economy.income_index == pytest.approx(1.06 ** (1 / 12))
            np.testing.assert_allclose(hh.income, income * 1.06 ** (1 / 12), rtol=1e-12)
    assert economy.income_index == pytest.approx(math.sqrt(1.06))
    np.testing.assert_allclose(hh.income, income * math.sqrt(1.06), rtol=1e-12)
    factor = np.array([m.config.model.households.housing_factor[p] for p in m.profiles])
    np.testing.assert_allclose(hh.budget, hh.income / factor[hh.profile], rtol=1e-12)


def test_the_national_level_follows_its_target_by_partial_adjustment():
    # target = 1 × log(1.03) − 0.09 × 0.5 = 0.0295588 − 0.045 = −0.0154412
    f = market.Fundamentals(income_elasticity=1.0, rate_semi_elasticity=-0.09,
                            adjustment=0.075)
    assert market.national(0.0, 1.03, 0.5, f) == pytest.approx(0.075 * -0.0154412, rel=1e-5)
    # from 0.01: 0.01 + 0.075 × (−0.0154412 − 0.01) = 0.0080919
    assert market.national(0.01, 1.03, 0.5, f) == pytest.approx(0.0080919, rel=1e-5)
    # at its target it stays
    assert market.national(-0.0154412, 1.03, 0.5, f) == pytest.approx(-0.0154412, rel=1e-5)


# --- mortgage rates move the national price level -----------------------------------

def _run(overrides: list[str], months: int = 18) -> MigrationModel:
    """Lozère from 2019-07 (rate 1.36 % in 2019), no income growth, no building: two runs
    differ only through the rates."""
    m = MigrationModel("baseline", scale=0.002, months=months, seed=3, collect=False,
                       overrides=[
                           *LOZERE, "start=2019-07", "model.construction.rate=0",
                           *_years("income_growth", {"2019": 0.0, "2020": 0.0}),
                           *overrides])
    while m.running:
        m.step()
    return m


@pytest.fixture(scope="module")
def rates():
    """Rates of 2020 at their value (1.26 %), two points higher, one point lower."""
    return {name: _run(_years("mortgage_rate", {"2020": rate})) for name, rate in
            (("same", 1.26), ("higher", 3.26), ("lower", 0.26))}


def test_higher_mortgage_rates_lower_the_national_price_index_and_lower_ones_raise_it(rates):
    same, higher, lower = (rates[k].submodels.market for k in ("same", "higher", "lower"))
    # 2019: identical paths (same rate, no growth): the index stays at 1
    assert same.national_history[:6] == higher.national_history[:6] == [1.0] * 6
    # 2020: the target is −0.09 × (rate − 1.36); twelve months of 0.075 close
    # 1 − 0.925^12 = 60.8 % of the gap: index exp(−0.09 × gap × (1 − 0.925^12))
    closed = 1 - 0.925 ** 12
    for market_, gap in ((same, -0.10), (higher, 1.90), (lower, -1.10)):
        assert market_.national_index == pytest.approx(math.exp(-0.09 * gap * closed))
    assert higher.national_index < same.national_index < lower.national_index
    assert higher.national_index == pytest.approx(0.9013, abs=1e-4)  # −9.9 %
    assert lower.national_index == pytest.approx(1.0620, abs=1e-4)   # +6.2 %


def test_the_national_component_moves_every_price_and_no_rent(rates):
    """Rates do not reach rents or budgets, so both runs take the same decisions: the same
    flows and local prices; prices differ by the national ratio in every territory, rents
    not at all."""
    same, higher = rates["same"], rates["higher"]
    ratio = higher.submodels.market.national_index / same.submodels.market.national_index
    np.testing.assert_allclose(higher.submodels.market.price / same.submodels.market.price,
                               ratio, rtol=1e-12)
    np.testing.assert_array_equal(higher.submodels.market.rent, same.submodels.market.rent)
    np.testing.assert_array_equal(higher.households.home, same.households.home)


# --- rents follow the IRL ------------------------------------------------------------

def test_rents_follow_the_capped_irl_and_not_the_national_price_component():
    """A year of the capped IRL (3.5 %) with a national level of −0.2 and no local
    pressure: rents × 1.035, prices × exp(−0.2)."""
    state = market.State(np.array([3000.0]), np.array([800.0]), np.zeros(1), np.zeros(1),
                         np.array([0.08]))
    rule = market.Adjustment(response=2.0, vacancy_weight=0.01, vacancy_smoothing=1 / 12,
                             inertia=0.9, max_change=0.015, pass_through=0.5)
    base = market.Base(np.array([3000.0]), np.array([0.08]))
    irl = math.log(1.035) / 12
    for _ in range(12):  # 8 vacant of 100: vacancy at its initial rate; no net flows
        market.update(state, rule, base, market.National(-0.2, irl), np.array([2.0]),
                      np.array([2.0]), np.array([8]), np.array([100]))
    assert state.rent[0] == pytest.approx(800 * 1.035)
    assert state.price[0] == pytest.approx(3000 * math.exp(-0.2))
    assert state.local[0] == 0.0


def test_rents_also_pass_on_part_of_the_local_price_moves():
    # net arrivals 2 of 100: pressure 0.02, smoothed 0.002, local g = 0.004; rent Δlog =
    # IRL (log 1.012 / 12 = 0.000994) + 0.5 × 0.004 = 0.002994; price Δlog = 0.1 + 0.004
    state = market.State(np.array([2000.0]), np.array([600.0]), np.zeros(1), np.zeros(1),
                         np.array([0.05]))
    rule = market.Adjustment(response=2.0, vacancy_weight=0.0, vacancy_smoothing=1.0,
                             inertia=0.9, max_change=0.015, pass_through=0.5)
    market.update(state, rule, market.Base(np.array([2000.0]), np.array([0.05])),
                  market.National(0.1, math.log(1.012) / 12), np.array([3.0]),
                  np.array([1.0]), np.array([5]), np.array([100]))
    assert state.rent[0] == pytest.approx(600 * math.exp(math.log(1.012) / 12 + 0.002))
    assert state.price[0] == pytest.approx(2000 * math.exp(0.104))


# --- vacancy, smoothed ---------------------------------------------------------------

RULE = market.Adjustment(response=2.0, vacancy_weight=0.5, vacancy_smoothing=1 / 12,
                         inertia=0.9, max_change=0.015, pass_through=0.5)


def _vacancy_months(vacant: list[int], vacancy0: float = 0.05):
    """Months of a territory of 100 dwellings with balanced flows, vacant units as given."""
    state = market.State(np.array([1000.0]), np.array([500.0]), np.zeros(1), np.zeros(1),
                         np.array([vacancy0]))
    base = market.Base(np.array([1000.0]), np.array([vacancy0]))
    for v in vacant:
        market.update(state, RULE, base, market.National(0.0, 0.0), np.array([4.0]),
                      np.array([4.0]), np.array([v]), np.array([100]))
    return state


def test_vacancy_above_its_initial_rate_lowers_the_local_price_as_it_builds_up():
    state = _vacancy_months([10])
    # smoothed vacancy 0.05 + (0.10 − 0.05) / 12 = 0.0541667; pressure −0.5 × 0.0041667
    # = −0.0020833; smoothed pressure −0.00020833; Δlog price −0.00041667
    assert state.vacancy[0] == pytest.approx(0.0541667, rel=1e-5)
    assert state.price[0] == pytest.approx(1000 * math.exp(-0.00041667), rel=1e-7)
    assert state.rent[0] == pytest.approx(500 * math.exp(-0.00020833), rel=1e-7)
    state = _vacancy_months([10, 10])
    # smoothed vacancy 0.0541667 + (0.10 − 0.0541667) / 12 = 0.0579861; pressure
    # −0.0039931; smoothed 0.9 × −0.00020833 + 0.1 × −0.0039931 = −0.00058681;
    # local = −0.00041667 − 0.0011736 = −0.0015903
    assert state.vacancy[0] == pytest.approx(0.0579861, rel=1e-5)
    assert state.local[0] == pytest.approx(-0.0015903, rel=1e-4)
    assert state.price[0] == pytest.approx(1000 * math.exp(-0.0015903), rel=1e-7)


def test_vacancy_at_its_initial_rate_leaves_the_price_and_below_it_raises_it():
    assert _vacancy_months([5, 5, 5]).price[0] == 1000.0
    assert _vacancy_months([2, 2, 2]).price[0] > 1000.0


def test_one_month_of_vacancy_weighs_a_twelfth_of_its_unsmoothed_weight():
    """A one-month spike (units freed and re-let at 1:100) is smoothed away: 14 vacant
    units for one month weigh as 0.05 + 0.09 / 12 vacancy, not 0.14."""
    spike = _vacancy_months([14])
    unsmoothed = market.State(np.array([1000.0]), np.array([500.0]), np.zeros(1),
                              np.zeros(1), np.array([0.05]))
    market.update(unsmoothed, RULE._replace(vacancy_smoothing=1.0),
                  market.Base(np.array([1000.0]), np.array([0.05])),
                  market.National(0.0, 0.0), np.array([4.0]), np.array([4.0]),
                  np.array([14]), np.array([100]))
    # unsmoothed: pressure −0.5 × 0.09 = −0.045, Δlog price −0.009 (within the bound)
    assert unsmoothed.local[0] == pytest.approx(-0.009)
    assert spike.local[0] == pytest.approx(-0.009 / 12)


# --- the table is checked --------------------------------------------------------------

def test_the_shipped_tables_cover_2015_to_2030_and_the_shock_changes_only_its_rates():
    default, shock = load([]).economy, load(["economy=rates_shock"]).economy
    for name in ("mortgage_rate", "income_growth", "rent_index_growth"):
        assert list(getattr(default, name)) == [str(y) for y in range(2015, 2031)]
    assert default.rent_index_growth["2022"] == default.rent_index_growth["2023"] == 3.5
    assert shock.income_growth == default.income_growth
    assert shock.rent_index_growth == default.rent_index_growth
    assert {y: shock.mortgage_rate[y] - default.mortgage_rate[y]
            for y in default.mortgage_rate if shock.mortgage_rate[y] != default.mortgage_rate[y]
            } == {str(y): pytest.approx(2.0) for y in range(2025, 2031)}
    assert load(["economy.mortgage_rate.2025=5.0"]).economy.mortgage_rate["2025"] == 5.0


@pytest.mark.parametrize(("overrides", "message"), [
    (["~economy.income_growth.2021"],
     "economy.income_growth.2021: missing; allowed: consecutive years from 2015 to 2030, "
     "none missing"),
    (["months=156"],
     "economy.mortgage_rate.2031: missing; allowed: a value for every simulated year "
     "2019..2031 (start 2019-01, 156 months)"),
    (["start=2014-07", "months=12"],
     "economy.mortgage_rate.2014: missing; allowed: a value for every simulated year "
     "2014..2015 (start 2014-07, 12 months)"),
    (["economy.rent_index_growth.2023=abc"],
     "economy.rent_index_growth.2023: 'abc' is not allowed; allowed: a number in "
     "[-50.0, 50.0]"),
    (["economy.mortgage_rate=3"],
     "economy.mortgage_rate: 3 is not allowed; allowed: a non-empty table of year: value, "
     "e.g. {'2019': 1.36}"),
])
def test_a_bad_economy_table_is_refused_in_one_line_naming_the_key(overrides, message):
    with pytest.raises(ConfigError) as err:
        MigrationModel("baseline", scale=0.002, overrides=[*LOZERE, *overrides])
    assert str(err.value) == message
    assert "\n" not in str(err.value)
