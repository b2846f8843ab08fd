"""Runtime invariants (observation/invariants.py): each fires on a deliberately broken
state, naming the invariant, the EPCI (code and name) and the month; the command line
reports it in one line, exits with code 3 and writes no results."""

from types import SimpleNamespace

import numpy as np
import pytest

import migrasim.__main__ as cli
from migrasim.config import compose
from migrasim.errors import InvariantError
from migrasim.model import MigrationModel
from migrasim.observation import invariants

AREA = ['territory.departements=["12","48"]']


@pytest.fixture
def model():
    m = MigrationModel("baseline", scale=0.01, months=3, overrides=AREA, collect=False)
    m.step()  # checked once by the step itself: a normal month breaks nothing
    return m


def where(m, i: int = 0) -> str:
    return f"in EPCI {m.territories.codes[i]} {m.territories.df['name'].iat[i]} in 2019-01: "


def test_a_normal_month_passes(model):
    invariants.check(model)
    model.step()


@pytest.mark.parametrize("breaks, invariant, detail", [
    (lambda m: m.stock.occupied.__setitem__(2, m.stock.occupied[2] + 1.0),
     "households living here = occupied dwellings", "households' weights "),
    (lambda m: m.households.alive.__setitem__(np.flatnonzero(m.households.home == 2)[0], False),
     "households living here = occupied dwellings", "households' weights "),
    (lambda m: m.stock.dwellings.__setitem__(2, m.stock.occupied[2] - 1.0),
     "occupied dwellings <= dwellings", "occupied "),
    (lambda m: m.stock.vacant.__setitem__(2, -0.5), "vacant dwellings >= 0", "vacant -0.5"),
    (lambda m: m.submodels.market.price.__setitem__(2, np.nan), "price_m2 finite and > 0",
     "nan"),
    (lambda m: m.submodels.market.rent.__setitem__(2, 0.0), "rent_month finite and > 0",
     "0"),
    (lambda m: m.submodels.market.price.__setitem__(2, np.inf), "price_m2 finite and > 0",
     "inf"),
    (lambda m: m.submodels.records.rows[-1]["vacancy"].__setitem__(2, np.inf),
     "recorded values finite", "vacancy = inf"),
])
def test_each_invariant_fires_on_a_broken_state(model, breaks, invariant, detail):
    model.month -= 1  # back to the month just simulated, as seen from the step
    breaks(model)
    with pytest.raises(InvariantError) as err:
        invariants.check(model)
    message = str(err.value)
    assert message.startswith(f"invariant '{invariant}' broken {where(model, 2)}{detail}")
    assert "\n" not in message


def test_several_broken_territories_are_counted(model):
    model.month -= 1
    model.stock.vacant[[3, 5, 7]] = -1.0
    with pytest.raises(InvariantError, match=r"^invariant 'vacant dwellings >= 0' broken in "
                                             r"EPCI \d+ .+ \(and 2 other EPCI\) in 2019-01: "):
        invariants.check(model)


def test_the_step_checks_the_invariants(model):
    model.stock.occupied[0] += 1.0  # moves add to and subtract from it: it stays wrong
    with pytest.raises(InvariantError, match="^invariant 'households living here = occupied "
                                             "dwellings' broken in EPCI .* in 2019-02: "):
        model.step()


def test_the_command_line_reports_a_broken_invariant_in_one_line_with_code_3(
        monkeypatch, capsys, tmp_path):
    class Broken:
        def __init__(self, **_):
            pass

        def run(self, **_):
            raise InvariantError("invariant 'vacant dwellings >= 0' broken in EPCI 200 x in "
                                 "2019-03: vacant -1.0")

    class Hydra:  # the run directory hydra would have made
        @staticmethod
        def get():
            return SimpleNamespace(runtime=SimpleNamespace(output_dir=str(tmp_path / "run")))

    monkeypatch.setattr(cli, "Simulation", Broken)
    monkeypatch.setattr(cli, "HydraConfig", Hydra)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as done:
        cli._run(compose(["months=1", "scale=0.001"]))
    assert done.value.code == 3
    err = capsys.readouterr().err
    assert err == ("migrasim: invariant 'vacant dwellings >= 0' broken in EPCI 200 x in "
                   "2019-03: vacant -1.0\n")
    assert not list(tmp_path.iterdir())
