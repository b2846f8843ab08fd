"""The housing market and construction, on hand-computed examples.

The local price rule (submodels/market.py): pressure = (arrivals − departures) / stock −
vacancy_weight · (smoothed vacancy − initial vacancy); smoothed = inertia · smoothed + (1 −
inertia) · pressure; local Δlog price = clip(response · smoothed, ± max change); Δlog
rent = IRL Δlog + pass-through · local Δlog price; price = initial price · exp(national +
local). Here the vacancy is not smoothed (its smoothing share is 1), the national level
and the IRL are 0: the local rule alone (tests/test_economy.py has the rest). Every
expected number below is worked out by hand.
"""

import math

import numpy as np
import pytest

from migrasim.kernels import construction, market
from migrasim.model import MigrationModel

RULE = market.Adjustment(response=2.0, vacancy_weight=0.5, vacancy_smoothing=1.0,
                         inertia=0.9, max_change=0.015, pass_through=0.5)


def _state(price, rent, smoothed):
    """Territories at their initial prices: no local component yet."""
    n = len(price)
    return market.State(np.array(price, float), np.array(rent, float),
                        np.array(smoothed, float), np.zeros(n), np.zeros(n))


def _month(state, arrivals, departures, vacant, dwellings, vacancy0):
    """One month of the local rule; the initial prices are the state's own, recovered
    from its local component (the national level is 0)."""
    initial = state.price / np.exp(state.local)
    market.update(state, RULE, market.Base(initial, np.array(vacancy0, float)),
                  market.National(0.0, 0.0), np.array(arrivals, float),
                  np.array(departures, float), np.array(vacant), np.array(dwellings))


def test_excess_demand_raises_prices_and_rents_by_the_smoothed_pressure():
    state = _state([1000.0], [500.0], [0.0])
    # pressure = (3 − 1) / 100 − 0.5 × (5/100 − 0.05) = 0.02; smoothed = 0.1 × 0.02 = 0.002
    _month(state, [3], [1], [5], [100], [0.05])
    assert state.smoothed[0] == pytest.approx(0.002)
    assert state.price[0] == pytest.approx(1000 * math.exp(0.004))  # Δlog = 2 × 0.002
    assert state.rent[0] == pytest.approx(500 * math.exp(0.002))    # half the price's
    # a second, identical month: smoothed = 0.9 × 0.002 + 0.1 × 0.02 = 0.0038
    _month(state, [3], [1], [5], [100], [0.05])
    assert state.smoothed[0] == pytest.approx(0.0038)
    assert state.price[0] == pytest.approx(1000 * math.exp(0.004 + 0.0076))


def test_excess_supply_and_vacancy_lower_prices():
    state = _state([2000.0], [700.0], [0.0])
    # pressure = (1 − 5) / 200 − 0.5 × (30/200 − 0.10) = −0.02 − 0.025 = −0.045
    _month(state, [1], [5], [30], [200], [0.10])
    assert state.smoothed[0] == pytest.approx(-0.0045)
    assert state.price[0] == pytest.approx(2000 * math.exp(-0.009))
    assert state.rent[0] == pytest.approx(700 * math.exp(-0.0045))


def test_vacancy_below_its_initial_rate_pushes_prices_up_even_without_net_arrivals():
    state = _state([1500.0], [600.0], [0.0])
    # pressure = 0 − 0.5 × (2/100 − 0.06) = +0.02; smoothed 0.002; Δlog price 0.004
    _month(state, [4], [4], [2], [100], [0.06])
    assert state.price[0] == pytest.approx(1500 * math.exp(0.004))


def test_momentum_keeps_prices_rising_for_a_while_after_demand_turns():
    """Inertia: a smoothed pressure of +0.01 outweighs one month of −0.045."""
    state = _state([2000.0], [700.0], [0.01])
    # smoothed = 0.9 × 0.01 + 0.1 × (−0.045) = 0.0045 > 0: the price still rises
    _month(state, [1], [5], [30], [200], [0.10])
    assert state.smoothed[0] == pytest.approx(0.0045)
    assert state.price[0] == pytest.approx(2000 * math.exp(0.009))


def test_monthly_price_moves_are_bounded_both_ways():
    state = _state([1000.0, 1000.0], [400.0, 400.0], [0.0, 0.0])
    # pressures +0.5 and −0.5: smoothed ±0.05, response × smoothed = ±0.1, clipped to ±0.015
    _month(state, [5, 0], [0, 5], [0, 0], [10, 10], [0.0, 0.0])
    assert state.price.tolist() == pytest.approx([1000 * math.exp(0.015),
                                                  1000 * math.exp(-0.015)])
    assert state.rent.tolist() == pytest.approx([400 * math.exp(0.0075),
                                                 400 * math.exp(-0.0075)])


def test_a_territory_without_dwellings_is_priced_as_one_dwelling():
    state = _state([1000.0], [400.0], [0.0])
    # stock max(0, 1) = 1, vacancy 0: pressure = (0.001 − 0) / 1 = 0.001; smoothed 1e-4
    _month(state, [0.001], [0.0], [0], [0], [0.0])
    assert state.price[0] == pytest.approx(1000 * math.exp(2e-4))


def _build(price, floor, cap, rate, built, vacant, dwellings, base=0.0):
    construction.build(np.array(price, float), np.array(floor, float), np.array(cap, float),
                       (base, rate), built, vacant, dwellings, np.ones(len(price)))


def test_builders_answer_prices_above_cost_and_finish_whole_dwellings():
    built, vacant, dwellings = np.zeros(3), np.array([5, 5, 5]), np.array([1000, 1000, 1000])
    # gap = 2500 / 2000 − 1 = 0.25: 0.001 × 1000 × 0.25 = 0.25 dwelling a month;
    # at cost (gap 0) and below it nothing is started
    for _ in range(3):
        _build([2500, 2000, 1500], [2000, 2000, 2000], [np.inf] * 3, 0.001, built, vacant,
               dwellings)
    assert built.tolist() == [0.75, 0.0, 0.0] and vacant.tolist() == [5, 5, 5]
    _build([2500, 2000, 1500], [2000] * 3, [np.inf] * 3, 0.001, built, vacant, dwellings)
    # the fourth quarter finishes one dwelling: vacant and on the stock
    assert built.tolist() == [0.0, 0.0, 0.0]
    assert vacant.tolist() == [6, 5, 5] and dwellings.tolist() == [1001, 1000, 1000]


def test_a_construction_cap_limits_each_month_s_starts():
    built, vacant, dwellings = np.zeros(1), np.array([0]), np.array([1000])
    # wanted 0.25 a month, cap 0.125: eight months to finish one dwelling
    for month in range(8):
        assert dwellings[0] == 1000, month
        _build([2500], [2000], [0.125], 0.001, built, vacant, dwellings)
    assert dwellings[0] == 1001 and vacant[0] == 1 and built[0] == 0.0


def test_the_base_rate_builds_everywhere_whatever_the_price_within_the_cap():
    built, vacant, dwellings = np.zeros(3), np.array([5, 5, 5]), np.array([1000, 1000, 2000])
    # base 0.0005 a month: 0.5 dwelling for 1,000, 1 for 2,000; the first also answers
    # its price: + 0.001 × 1000 × 0.25 = 0.25; the third is capped at 0.6
    _build([2500, 1500, 1500], [2000] * 3, [np.inf, np.inf, 0.6], 0.001, built, vacant,
           dwellings, base=0.0005)
    assert built.tolist() == pytest.approx([0.75, 0.5, 0.6])
    assert vacant.tolist() == [5, 5, 5]
    _build([2500, 1500, 1500], [2000] * 3, [np.inf, np.inf, 0.6], 0.001, built, vacant,
           dwellings, base=0.0005)
    assert built.tolist() == pytest.approx([0.5, 0.0, 0.2])
    assert vacant.tolist() == [6, 6, 6] and dwellings.tolist() == [1001, 1001, 2001]


def test_the_floor_follows_the_national_price_level():
    """Only a local price rise calls for more building: a national rise lifts prices and
    the floor alike (submodels/construction.py)."""
    m = MigrationModel("baseline", scale=0.002, months=1, overrides=[
        'territory.departements=["12","48"]', "model.construction.base_rate=0"])
    market, c = m.submodels.market, m.submodels.construction
    market.national_index = 1.3
    market.price[:] = c.floor * 1.3  # the whole rise is national
    dwellings = m.stock.dwellings.copy()
    c.step(m)
    assert c.built.max() == pytest.approx(0.0, abs=1e-12)
    assert np.array_equal(m.stock.dwellings, dwellings)


def test_builders_start_only_above_both_the_building_cost_and_the_initial_price():
    """A territory whose prices have not risen builds nothing, even where prices exceed the
    building cost: the initial stock is an equilibrium (submodels/construction.py)."""
    m = MigrationModel("baseline", scale=0.002, months=1, overrides=[
        'territory.departements=["12","48"]', "model.construction.cost_m2=1500"])
    price = m.submodels.market.initial_price
    assert (price < 1500).any() and (price > 1500).any()  # both cases in the area
    floor = m.submodels.construction.floor
    assert np.array_equal(floor[price > 1500], price[price > 1500])
    assert (floor[price <= 1500] == 1500).all()
