"""The numpy-per-agent Mesa model (the benchmark baseline) is the plain one, vectorised.

``MesaNumpyReference`` follows the fast path like ``MesaReference`` (tests/test_reference.py
runs every lockstep test with both). Here it is held to the stricter standard of the
plain reference itself, which it must equal but for the rounding of a few numpy
functions: utilities to the last bit, the same draws, decisions, choices and state,
expected demand, prices and rents within 1e-12 (``np.exp`` against ``math.exp``, numpy's
pairwise sum of a type's choice weights against a sum in order). And it is what it
claims to be: agents that call no numba function.
"""

import ast
import inspect

import numpy as np
import pytest
from numba.core.registry import CPUDispatcher

from migrasim.errors import ConfigError
from migrasim.model import MigrationModel
from migrasim.reference import MesaNumpyReference, MesaReference, mesa, numpy_agents

AREA = ['territory.departements=["75","60","12","48"]']  # Paris, Oise, Aveyron, Lozère
ROUNDING = 1e-12  # np.exp, np.log1p and pairwise sums against math's and sums in order


def test_each_movers_utilities_are_the_plain_references_to_the_last_bit():
    """For households with and without a job or telework, an ordinary move, a move
    around a new job and a return with its urban bonus: the vector of utilities holds,
    territory by territory, the float the plain reference computes."""
    fast = MigrationModel("remote50", scale=0.002, months=1, rng=4,
                          overrides=[*AREA, "start=2021-01"])
    plain, vector = MesaReference(fast), MesaNumpyReference(fast)
    for ref in (plain, vector):
        ref.apply_shocks()
        ref.terms = ref.territory_terms(ref.preference)
    np.testing.assert_allclose(vector.terms, plain.terms, rtol=ROUNDING, atol=0)
    vector.terms = np.array(plain.terms)  # the same terms: what follows is bit for bit
    sample = vector.households[::40]
    assert any(a.telework_days for a in sample) and any(a.job < 0 for a in sample)
    for agent in sample:
        for bonus, around_job in ((0.0, False), (0.0, True), (plain.return_bonus, False)):
            args = (agent.segment, agent.home, agent.job, agent.telework_days / 5.0,
                    1.0 / agent.budget, bonus)
            expected = [plain.utility(j, *args, around_job=around_job) for j in range(plain.n)]
            assert vector.utilities(*args, around_job=around_job).tolist() == expected


def test_the_market_answers_the_plain_references_expected_demand():
    fast = MigrationModel("remote50", scale=0.002, months=1, rng=4, overrides=AREA)
    plain, vector = MesaReference(fast), MesaNumpyReference(fast)
    plain.decide()
    vector.decide()
    assert vector.type_sums == plain.type_sums
    for got, expected in zip(vector.expected_flows(), plain.expected_flows(), strict=True):
        np.testing.assert_allclose(got, expected, rtol=ROUNDING, atol=1e-15)
        assert got.sum() > 0


def test_it_runs_the_plain_references_months():
    """Paris, Oise, Aveyron and Lozère from February 2020, across the March telework
    jump and the COVID shock, with construction above its base rate: the same
    demographic events, decisions, new jobs, choices, lottery and retirements, the same
    households and stock, prices and rents within rounding."""
    fast = MigrationModel("remote50", scale=0.002, months=4, rng=1, overrides=[
        *AREA, "start=2020-02", "model.construction.cost_m2=500",
        "model.construction.rate=0.05"])
    plain, vector = MesaReference(fast), MesaNumpyReference(fast)
    dwellings, moves = fast.stock.dwellings.sum(), 0
    while plain.running:
        plain.step()
        vector.step()
        for key in ("last_events", "last_reasons", "last_chosen", "last_moved",
                    "last_unmet", "last_retired", "last_in_reach"):
            assert getattr(vector, key) == getattr(plain, key), key
        assert ({a.index: a.former_job for a in vector.job_changers}
                == {a.index: a.former_job for a in plain.job_changers})
        for key in ("home", "job", "profile", "income", "owner", "telework_days", "age",
                    "months_since_arrival", "origin", "alive"):
            assert ([getattr(a, key) for a in vector.households]
                    == [getattr(a, key) for a in plain.households]), key
        for key in ("occupied", "vacant", "dwellings", "by_profile"):
            assert getattr(vector, key).tolist() == getattr(plain, key), key
        for key in ("price", "rent", "smoothed", "smoothed_vacancy", "built"):
            np.testing.assert_allclose(getattr(vector, key), getattr(plain, key),
                                       rtol=ROUNDING, atol=1e-15, err_msg=key)
        moves += sum(plain.last_moved.values())
    assert moves > 300 and vector.dwellings.sum() > dwellings


def test_with_mesas_own_draws_it_keeps_the_distributions():
    """``draws="mesa"`` (self.random, as a Mesa model usually draws) parts from the fast
    path household by household but not in distribution: over four months the movers,
    the moves and the share of moves within an EPCI stay within sampling noise of the
    counter-based run's."""
    fast = MigrationModel("remote50", scale=0.002, months=4, rng=1, overrides=AREA)
    counter, own = MesaNumpyReference(fast), MesaNumpyReference(fast, draws="mesa")
    tallies = []
    for ref in (counter, own):
        movers = moved = within = 0
        while ref.running:
            ref.step()
            movers += sum(r != 0 for r in ref.last_reasons)
            served = [i for i, ok in ref.last_moved.items() if ok]
            moved += len(served)
            within += sum(ref.last_chosen[i] == ref.last_origin[i] for i in served)
        tallies.append((movers, moved, within / moved))
    (m0, v0, w0), (m1, v1, w1) = tallies
    assert m0 > 300 and (m0, v0) != (m1, v1)  # not the same draws
    assert abs(m1 - m0) < 5 * np.sqrt(m0) and abs(v1 - v0) < 5 * np.sqrt(v0)
    assert abs(w1 - w0) < 0.05


def test_a_draws_source_it_does_not_know_is_refused():
    fast = MigrationModel("remote50", scale=0.002, months=1, rng=1, overrides=AREA)
    with pytest.raises(ConfigError, match="draws"):
        MesaNumpyReference(fast, draws="numpy")


def test_the_agents_call_no_numba_function():
    """The baseline is Mesa with numpy: no jitted function in its modules, and the
    counter-based draws are rng.uniform_py, the pure-Python twin of rng.uniform."""
    for module in (mesa, numpy_agents):
        assert not [name for name, obj in vars(module).items()
                    if isinstance(obj, CPUDispatcher)], module.__name__
        draws = {node.attr for node in ast.walk(ast.parse(inspect.getsource(module)))
                 if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                 and node.value.id == "crn" and not node.attr.isupper()}
        assert draws <= {"uniform_py"}, module.__name__
