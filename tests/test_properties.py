"""Properties of the kernels for any input hypothesis can think of, not just the examples
of the other tests: choice probabilities are a distribution that falls with price and
distance, local prices never move more than their monthly bound, the capacity of a
territory is never exceeded, and counter-based draws are uniform and the same whatever
the thread count."""

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from migrasim import rng
from migrasim.kernels import capacity, choice, market

F32 = np.float32


def f32(lo, hi):
    return st.floats(lo, hi).map(F32)


@st.composite
def choice_tables(draw, max_n=40):
    """Lookup tables of one segment over n territories with random terms, rents,
    distances and commutes, and coefficients of the signs the config allows."""
    n = draw(st.integers(2, max_n))
    def vec(lo, hi, shape=n):
        return draw(arrays(np.float64, shape, elements=st.floats(lo, hi))).astype(F32)

    def coef(lo, hi):
        return np.array([draw(f32(lo, hi))], F32)

    tables = choice.Tables(
        terms=vec(-5, 5)[None, :], log_dist=vec(0, 5, (n, n)), dist_coef=-coef(0.01, 3),
        tele=vec(-2, 2)[None, :], rent=vec(200, 3000), commute=vec(5, 120, (n, n)),
        urban=vec(0, 1).round(), same=coef(-5, 5), cost=-coef(1e-4, 2),
        commute_coef=-coef(0.0, 0.1), return_bonus=0.0, days_off=np.zeros((0, 0), F32))
    home = draw(st.integers(0, n - 1))
    job = draw(st.integers(-1, n - 1))
    return tables, home, job


def probabilities(tables, home, job, telework=0.4, inv_budget=1 / 1500):
    """The kernel's choice probabilities for one household (weights / their total)."""
    v, bits, scale, blocks = choice._scratch(tables.rent.shape[0])
    total = choice._household_weights(v, bits, scale, blocks, tables, 0, home, job, telework,
                                      inv_budget, 0.0, False)
    return v[:tables.rent.shape[0]].astype(np.float64) / total


@settings(max_examples=150, deadline=None)
@given(choice_tables())
def test_choice_probabilities_are_a_distribution(case):
    p = probabilities(*case)
    assert np.all(p >= 0)
    assert p.sum() == pytest.approx(1.0, abs=1e-5)


@settings(max_examples=150, deadline=None)
@given(choice_tables(), st.data())
def test_a_dearer_territory_is_chosen_less_and_the_others_more(case, data):
    tables, home, job = case
    j = data.draw(st.integers(0, tables.rent.shape[0] - 1))
    before = probabilities(tables, home, job)
    rent = tables.rent.copy()
    rent[j] *= F32(1.5)
    after = probabilities(tables._replace(rent=rent), home, job)
    others = np.arange(rent.shape[0]) != j
    assert after[j] <= before[j] * (1 + 1e-4) + 1e-12
    assert np.all(after[others] >= before[others] * (1 - 1e-4) - 1e-12)


@settings(max_examples=150, deadline=None)
@given(choice_tables(), st.data())
def test_a_farther_territory_is_chosen_less(case, data):
    tables, home, job = case
    j = data.draw(st.integers(0, tables.rent.shape[0] - 1))
    before = probabilities(tables, home, job)
    log_dist = tables.log_dist.copy()
    log_dist[home, j] += F32(1.0)
    after = probabilities(tables._replace(log_dist=log_dist), home, job)
    assert after[j] <= before[j] * (1 + 1e-4) + 1e-12


@st.composite
def market_month(draw):
    n = draw(st.integers(1, 30))
    pos = lambda lo, hi: draw(arrays(np.float64, n, elements=st.floats(lo, hi)))  # noqa: E731
    dwellings = pos(1, 1e5)
    vacant = np.minimum(pos(0, 1e5), dwellings)
    state = market.State(pos(500, 15000), pos(200, 3000), pos(-1, 1), pos(-0.5, 0.5),
                         pos(0, 0.3))
    rule = market.Adjustment(response=draw(st.floats(0, 50)), vacancy_weight=draw(
        st.floats(0, 5)), vacancy_smoothing=draw(st.floats(0, 1)), inertia=draw(
        st.floats(0, 0.99)), max_change=draw(st.floats(0, 0.05)), pass_through=draw(
        st.floats(0, 1)))
    flows = pos(0, 1e5), pos(0, 1e5)
    return state, rule, market.Base(pos(500, 15000), pos(0, 0.3)), flows, vacant, dwellings


@settings(max_examples=200, deadline=None)
@given(market_month(), st.floats(-0.05, 0.05), st.floats(-0.01, 0.01))
def test_local_prices_move_within_their_monthly_bound_and_stay_positive(case, level, irl):
    state, rule, base, (arrivals, departures), vacant, dwellings = case
    local, rent = state.local.copy(), state.rent.copy()
    market.update(state, rule, base, (level, irl), arrivals, departures, vacant, dwellings)
    step = state.local - local
    assert np.all(np.abs(step) <= rule.max_change + 1e-12)
    np.testing.assert_allclose(state.price, base.price * np.exp(level + state.local))
    assert np.all(np.isfinite(state.price) & (state.price > 0))
    assert np.all(np.isfinite(state.rent) & (state.rent > 0))
    np.testing.assert_allclose(np.log(state.rent / rent), irl + rule.pass_through * step,
                               atol=1e-9)


@st.composite
def movers(draw):
    """Stocks in base units and movers of weight 1 (ordinary households) or 1/100 (units
    of a focus area at 1:1 inside a study area at 1:100)."""
    n = draw(st.integers(1, 12))
    m = draw(st.integers(0, 200))
    ints = lambda hi, size: draw(arrays(np.int64, size, elements=st.integers(0, hi)))  # noqa: E731
    vacant = ints(5, n).astype(np.float64) + draw(arrays(np.float64, n, elements=st.sampled_from(
        [0.0, 0.01, 0.5, 0.99])))
    chosen = ints(n - 1, m).astype(np.int32)
    origin = ints(n - 1, m).astype(np.int32)
    weight = draw(arrays(np.float64, m, elements=st.sampled_from([1.0, 0.01])))
    new = draw(arrays(np.bool_, m))
    order = np.array(draw(st.permutations(range(m))), dtype=np.int64)
    return order, chosen, origin, weight, vacant, new


@settings(max_examples=200, deadline=None)
@given(movers())
def test_capacity_never_exceeds_the_vacant_stock(case):
    """Whatever the stocks and the demand: no territory takes more arrivals than its
    vacant dwellings plus those its own leavers freed, vacancies never fall below zero,
    and dwellings are conserved (a new household takes its weight of them, a move swaps
    them); what is not served is counted as unmet demand."""
    order, chosen, origin, weight, vacant, new = case
    start = vacant.copy()
    unmet = np.zeros_like(vacant)
    moved = capacity.allocate(order, chosen, origin, weight, vacant, unmet, new)
    n = vacant.shape[0]
    across = moved & (chosen != origin)
    taken = moved & (across | new)  # a new household takes a dwelling even at home
    arrived = np.bincount(chosen[taken], weights=weight[taken], minlength=n)
    freed = np.bincount(origin[across & ~new], weights=weight[across & ~new], minlength=n)
    assert np.all(vacant >= -1e-9)
    assert np.all(arrived <= start + freed + 1e-9)
    np.testing.assert_allclose(vacant, start - arrived + freed, atol=1e-9)
    assert unmet.sum() == pytest.approx(weight[~moved].sum())


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**63 - 1), st.integers(-1, 10_000), st.integers(0, 2**20))
def test_draws_are_uniform(seed, month, purpose):
    u = rng.uniforms(seed, np.arange(20_000, dtype=np.int64), month, purpose)
    assert np.all((u >= 0) & (u < 1))
    assert stats.kstest(u, "uniform").pvalue > 1e-6
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 0.05  # neighbours' draws unrelated


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**63 - 1), st.integers(-1, 10_000), st.integers(0, 2**20),
       arrays(np.int64, st.integers(1, 500), elements=st.integers(0, 2**40)))
def test_draws_do_not_depend_on_the_thread_count(seed, month, purpose, households):
    threads = numba.get_num_threads()
    try:
        runs = []
        for k in sorted({1, threads}):
            numba.set_num_threads(k)
            runs.append(rng.uniforms(seed, households, month, purpose))
    finally:
        numba.set_num_threads(threads)
    for u in runs[1:]:
        np.testing.assert_array_equal(u, runs[0])
    assert [rng.uniform_py(seed, int(h), month, purpose) for h in households[:20]] == \
        runs[0][:20].tolist()
