"""A focus area at full resolution: households weighted, heavy movers split into units.

``territory.focus`` names territories simulated at ``territory.focus_scale`` while the
rest of the area runs at ``scale`` (docs/focus.md). Every count is a sum of household
weights in base units (1 / scale real households): 1 for an ordinary household,
``scale / focus_scale`` for one of the focus. A heavy mover sends units of that weight
toward the focus and keeps the rest; units have keys of their own, so their draws do
not depend on how many other units a scenario created.
"""

import numpy as np
import pandas as pd
import pytest

from migrasim import ConfigError, MigrationModel, Simulation, rng
from migrasim.kernels.capacity import allocate
from migrasim.kernels.construction import build
from migrasim.model import SCHEDULE
from migrasim.reference import MesaReference
from migrasim.submodels import LocationChoice

AREA = "territory.departements=[12,15,46,48,81,82]"  # Aveyron and its neighbours
PETR = ["200067171", "200067478", "200068484"]         # configs/territory/default.yaml
FOCUS = "territory.focus=petr_haut_rouergue"
UNIT = 0.01  # scale 0.01, focus_scale 1: a focus household weighs 1/100 of a base unit
UNIT_KEYS = np.uint64(1 << 63)  # every unit's key has its top bit set (rng.unit_key)


def _run(model: MigrationModel) -> MigrationModel:
    while model.running:
        model.step()
    return model


def _petr(model: MigrationModel) -> np.ndarray:
    return np.flatnonzero(np.isin(model.territories.codes, PETR))


# --- without a focus nothing changes ----------------------------------------------------


def test_without_a_focus_every_household_weighs_one_and_draws_by_its_position():
    m = _run(MigrationModel("baseline", scale=0.002, months=3, seed=3,
                            overrides=["territory.departements=[48]"]))
    hh = m.households
    assert not m.territories.focus.any()
    assert (hh.weight == 1.0).all()
    assert np.array_equal(hh.key, np.arange(len(hh), dtype=np.uint64))


def test_a_null_focus_is_the_run_without_one():
    args = dict(scale=0.002, months=3, seed=3, compare_to=None)
    plain = Simulation("remote50", **args, overrides=[AREA]).run(progress=False)
    null = Simulation("remote50", **args, overrides=[AREA, "territory.focus=null",
                                                     "territory.focus_scale=0.5"]
                      ).run(progress=False)
    pd.testing.assert_frame_equal(plain.territories, null.territories)
    pd.testing.assert_frame_equal(plain.flows, null.flows)


# --- the focus at focus_scale ----------------------------------------------------------


@pytest.fixture(scope="module")
def pair():
    """The study area at 1:100 without a focus, and with the PETR at 1:1 (not stepped)."""
    return (MigrationModel("baseline", scale=0.01, months=12, seed=1, overrides=[AREA]),
            MigrationModel("baseline", scale=0.01, months=12, seed=1, overrides=[AREA, FOCUS]))


def test_focus_territories_hold_their_households_at_focus_scale(pair):
    plain, focused = pair
    petr, t = _petr(focused), focused.territories
    assert np.array_equal(np.flatnonzero(t.focus), petr)
    real = t.array("households")[petr]
    hh = focused.households
    count = np.bincount(hh.home, minlength=len(t))
    assert np.array_equal(count[petr], np.round(real))  # focus_scale 1: every household
    assert np.allclose(hh.weight[np.isin(hh.home, petr)], UNIT)
    assert (hh.weight[~np.isin(hh.home, petr)] == 1.0).all()
    # the rest of the area is synthesised as without a focus
    rest = np.setdiff1d(np.arange(len(t)), petr)
    assert np.array_equal(count[rest], np.bincount(plain.households.home,
                                                   minlength=len(t))[rest])
    # the stock in base units, at the resolution of one real dwelling in the focus
    stock = focused.stock
    np.testing.assert_allclose(stock.occupied[petr], np.round(real) * UNIT)
    vacant = np.round(t.array("vacant")[petr])  # real dwellings: whole ones at 1:1
    long_term = np.round(vacant * t.array("long_term_vacant_share")[petr])  # off the market
    np.testing.assert_allclose(stock.vacant[petr], (vacant - long_term) * UNIT)
    np.testing.assert_allclose(stock.long_term_vacant[petr], long_term * UNIT)
    np.testing.assert_array_equal(stock.vacant[rest], plain.stock.vacant[rest])


class CheckedChoice(LocationChoice):
    """The location choice, checking that splitting conserves weight and persons: every
    household's weight, and weight × persons per household of its home, summed over all
    households (living, forming and dissolved) before and after the month's split."""

    def step(self, model):
        before = self.totals(model)
        super().step(model)
        np.testing.assert_allclose(self.totals(model), before, rtol=1e-12)
        units = self.units
        assert (model.households.weight[units] == UNIT).all()
        assert (model.households.key[units] >= UNIT_KEYS).all()
        self.created = getattr(self, "created", 0) + units.size

    @staticmethod
    def totals(model):
        hh, size = model.households, model.territories.array("household_size")
        return np.array([hh.weight.sum(), (hh.weight * size[hh.home]).sum()])


@pytest.fixture(scope="module")
def focused_run():
    """A year of the area with the PETR as focus, checked month by month: the split
    conserves weights and persons; the households' weights are the stock; weight changes
    only as households form, dissolve, arrive from abroad or leave for it."""
    schedule = [CheckedChoice if s is LocationChoice else s for s in SCHEDULE]
    m = MigrationModel("baseline", scale=0.01, months=12, seed=2, overrides=[AREA, FOCUS],
                       schedule=schedule)
    petr, secondary = _petr(m), m.stock.dwellings - m.stock.occupied - m.stock.vacant
    living = [m.households.weight[m.households.alive].sum()]
    while m.running:
        m.step()
        hh, stock, row = m.households, m.stock, m.submodels.records.rows[-1]
        occupied = np.bincount(hh.home[hh.alive], weights=hh.weight[hh.alive],
                               minlength=len(m.territories))
        np.testing.assert_allclose(stock.occupied, occupied, atol=1e-9)
        np.testing.assert_allclose(stock.occupied + stock.vacant + secondary, stock.dwellings,
                                   atol=1e-9)
        assert (stock.vacant > -1e-9).all()
        assert (stock.occupied[petr] <= stock.dwellings[petr] + 1e-9).all()
        living.append(hh.weight[hh.alive].sum())
        change = (row["formed"] + row["from_abroad"] - row["dissolved"] - row["to_abroad"]).sum()
        assert living[-1] - living[-2] == pytest.approx(change, abs=1e-9)
    return m


def test_splitting_conserves_weights_and_persons_month_by_month(focused_run):
    m = focused_run
    created = m.submodels.choice.created
    assert created > 500  # a year of units (about 1,600 real arrivals)
    hh = m.households
    units = hh.key >= UNIT_KEYS
    assert units.sum() == created
    assert np.allclose(hh.weight[units], UNIT)


def test_focus_households_are_light_and_units_stay_light_where_they_go(focused_run):
    m = focused_run
    hh, petr = m.households, _petr(m)
    living = hh.alive & np.isin(hh.home, petr)
    assert np.allclose(hh.weight[living], UNIT)
    units = hh.alive & (hh.key >= UNIT_KEYS)
    assert (~np.isin(hh.home[units], petr)).any()  # some left the focus, as units


def _petr_arrivals(seed: int, focus: bool) -> np.ndarray:
    overrides = [AREA, FOCUS] if focus else [AREA]
    res = Simulation("baseline", scale=0.01, months=12, seed=seed, compare_to=None,
                     overrides=overrides).run(progress=False)
    t = res.territories
    return t.loc[t["epci"].isin(PETR), "arrivals"].to_numpy()


def test_petr_arrivals_come_in_real_households_and_match_the_run_without_focus():
    """Monthly arrivals into the PETR's three CC come in steps of 100 real households at
    1:100, in single households with the PETR at 1:1; their yearly totals agree over four
    seeds (Welch's statistic below 4: the run without focus is the noisy one)."""
    seeds = range(1, 5)
    with_focus = [_petr_arrivals(s, True) for s in seeds]
    without = [_petr_arrivals(s, False) for s in seeds]
    assert all(np.allclose(a % 100, 0) for a in without)
    monthly = np.concatenate(with_focus)
    assert np.allclose(monthly, np.round(monthly), atol=1e-6)
    assert (np.round(monthly) % 100 != 0).mean() > 0.9
    a, b = np.array([x.sum() for x in with_focus]), np.array([x.sum() for x in without])
    welch = abs(a.mean() - b.mean()) / np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    assert welch < 4, (a, b)
    assert a.std() < b.std()  # the focus's arrivals are far less noisy


# --- common random numbers ----------------------------------------------------------------

MARKETING = ("+scenario.policies=[{_target_: migrasim.policies.AccueilMission, "
             "group: petr_haut_rouergue, marketing_bonus: %s, retention: 1.0}]")


def _first_month(policy: str | None) -> MigrationModel:
    overrides = [AREA, FOCUS] + ([policy] if policy else [])
    m = MigrationModel("baseline", scale=0.01, months=1, seed=4, overrides=overrides)
    return _run(m)


def _units(m: MigrationModel) -> dict[int, tuple]:
    """This month's units by key: position, origin, destination and their parent's state."""
    hh, d, units = m.households, m.submodels.decision, m.submodels.choice.units
    at = d.movers.size - units.size + np.arange(units.size)  # units follow the other movers
    return {int(hh.key[u]): (int(u), int(d.origin[i]), int(m.submodels.choice.chosen[i]),
                             int(hh.profile[u]), int(hh.age[u]), float(hh.income[u]))
            for u, i in zip(units, at, strict=True)}


def test_a_policy_that_changes_nothing_leaves_every_unit_identical():
    base, same = _first_month(None), _first_month(MARKETING % 0.0)
    for field in ("key", "weight", "home", "profile", "job", "alive"):
        assert np.array_equal(getattr(base.households, field), getattr(same.households, field))
    assert _units(base) == _units(same) and len(_units(base)) > 50


def test_a_unit_keeps_its_draws_whatever_other_units_a_scenario_creates():
    """A marketing bonus for the PETR raises every heavy mover's focus share, so the
    policy run creates more units, and the units both runs create sit at other positions.
    Yet a unit of the baseline is a unit of the policy run with the same key, origin and
    destination (the bonus, equal in the three CC, leaves the choice within the focus as
    it was), and the movers from outside the focus choose the same territories outside
    it (the bonus leaves the choice among them as it was too)."""
    base, policy = _first_month(None), _first_month(MARKETING % 0.5)
    a, b = _units(base), _units(policy)
    assert len(b) > len(a) > 50 and set(a) <= set(b)
    assert any(a[k][0] != b[k][0] for k in a)  # other positions
    assert all(a[k][1:] == b[k][1:] for k in a)
    d, n = base.submodels.decision, base.submodels.decision.movers.size - len(a)
    assert np.array_equal(d.movers[:n], policy.submodels.decision.movers[:n])
    heavy = ~np.isin(d.origin[:n], _petr(base))
    assert heavy.sum() > 30
    assert np.array_equal(base.submodels.choice.chosen[:n][heavy],
                          policy.submodels.choice.chosen[:n][heavy])


# --- weighted capacity and construction -------------------------------------------------


def test_a_light_mover_needs_only_its_weight_of_vacant_dwellings():
    vacant, unmet = np.array([0.0, 0.03]), np.zeros(2)
    chosen = np.array([1, 1, 1, 1], dtype=np.int32)
    origin = np.zeros(4, dtype=np.int32)
    weight = np.array([1.0, UNIT, UNIT, 0.02])
    moved = allocate(np.arange(4), chosen, origin, weight, vacant, unmet,
                     np.zeros(4, dtype=np.bool_))
    # the heavy one does not fit; two units do and free theirs in territory 0; 0.01 is left
    assert moved.tolist() == [False, True, True, False]
    np.testing.assert_allclose(unmet, [0.0, 1.02])
    np.testing.assert_allclose(vacant, [0.02, 0.01])


def test_a_focus_territory_finishes_one_real_dwelling_at_a_time():
    built, vacant, dwellings = np.zeros(2), np.zeros(2), np.array([10.0, 10.0])
    # 0.001 × 10 × 0.25 = 0.0025 base units a month: a real dwelling (0.01) in four months
    # in the focus, one of 100 real dwellings in 400 months elsewhere
    for _ in range(4):
        build(np.array([2500.0, 2500.0]), np.array([2000.0, 2000.0]), np.full(2, np.inf),
              (0.0, 0.001), built, vacant, dwellings, np.array([UNIT, 1.0]))
    np.testing.assert_allclose(vacant, [UNIT, 0.0])
    np.testing.assert_allclose(built, [0.0, 0.01], atol=1e-12)


# --- bad values -----------------------------------------------------------------------------


@pytest.mark.parametrize(("overrides", "key"), [
    (["territory.focus=petr_haut_rouerge"], "territory.focus"),
    (["territory.focus=[]"], "territory.focus"),
    (["territory.focus=[200067171,123]"], "territory.focus[1]"),
    (["territory.focus=petr_haut_rouergue", "territory.departements=[48]"], "territory.focus"),
    (["territory.focus_scale=0.001"], "territory.focus_scale"),
    (["territory.focus_scale=1.5"], "territory.focus_scale"),
    (["territory.focus_scale=0"], "territory.focus_scale"),
])
def test_bad_focus_values_are_refused_naming_the_key(overrides, key):
    with pytest.raises(ConfigError) as err:
        Simulation("baseline", scale=0.01, months=1, overrides=[AREA, *overrides])
    assert err.value.key == key
    assert "\n" not in str(err.value)


def test_a_focus_group_outside_the_study_area_is_named():
    with pytest.raises(ConfigError, match=r"EPCI 2000\d+ of group 'petr_haut_rouergue' is "
                                          r"outside it"):
        MigrationModel("baseline", scale=0.01, months=1, overrides=[
            "territory.departements=[48]", FOCUS])


def test_the_mesa_reference_refuses_a_focus():
    m = MigrationModel("baseline", scale=0.01, months=1, overrides=[
        "territory.departements=[12]", FOCUS])
    with pytest.raises(ConfigError, match=r"^territory\.focus: "):
        MesaReference(m)


def test_unit_keys_are_a_function_of_parent_month_and_slot_only():
    a = rng.unit_key(np.uint64(17), 24_240, 3)
    assert a == rng.unit_key(np.uint64(17), 24_240, 3) and a >= UNIT_KEYS
    others = {rng.unit_key(np.uint64(p), m, s) for p in (16, 17) for m in (24_240, 24_241)
              for s in (2, 3)}
    assert len(others) == 8
