"""The architecture holds: the month is a schedule of submodels that the ODD protocol and
the Mesa reference follow, a new submodel is a class and a line, kernels take small
bundles, modules import each other without cycles."""

import ast
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from migrasim import ConfigError, MigrationModel, Simulation
from migrasim.model import SCHEDULE
from migrasim.observation.records import Records, columns
from migrasim.reference import MesaReference
from migrasim.submodels import Result, Submodel

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "migrasim"
LOZERE = ['territory.departements=["48"]']
# Imports allowed inside functions: optional heavy dependencies, loaded when drawing.
LAZY = {"matplotlib.colors", "matplotlib.pyplot", "migrasim.observation.plots",
        "migrasim.observation.band_figures",  # matplotlib, only when drawing
        "migrasim.observation.planner_report",
        "submitit"}  # submitit: the cluster launcher of calibration and ensembles, optional


@pytest.fixture(scope="module")
def model():
    return MigrationModel("baseline", scale=0.002, months=2, overrides=LOZERE, collect=False)


def _block(name: str) -> str:
    text = (ROOT / "docs" / "odd.md").read_text()
    found = re.search(rf"<!-- {name} -->\n(.*?)\n<!-- /{name} -->", text, flags=re.S)
    assert found, f"docs/odd.md has no <!-- {name} --> block"
    return found.group(1)


def test_the_odd_protocol_prints_the_models_schedule(model):
    assert [type(s) for s in model.schedule] == list(SCHEDULE)
    assert _block("schedule") == str(model.schedule), (
        f"docs/odd.md §3 is out of date; it should read:\n{model.schedule}")


def test_the_odd_protocol_lists_the_columns_of_the_territories_table(model):
    assert _block("columns") == columns(model.schedule), (
        f"docs/odd.md §7 is out of date; it should read:\n{columns(model.schedule)}")
    documented = re.findall(r"^\| `([^`]+)` \|", _block("columns"), flags=re.M)
    expected = [c for d in documented for c in (
        [f"households_{p}" for p in model.profiles] if d == "households_<profile>" else [d])]
    while model.running:
        model.step()
    table = model.submodels.records.territories_table(model)
    assert list(table.columns) == expected


class NewcomerShare(Submodel):
    """Newcomers (arrived less than three years ago) are counted."""

    name = "newcomers"
    title = "Newcomers"
    results = (Result("newcomers", "households", "households arrived less than 36 months ago"),)

    def record(self, model):
        hh = model.households
        return {"newcomers": np.bincount(hh.home[hh.months_since_arrival < 36],
                                         minlength=len(model.territories))}


def test_a_new_submodel_is_a_class_and_a_line_in_the_schedule():
    schedule = list(SCHEDULE)
    schedule.insert(schedule.index(Records), NewcomerShare)
    args = dict(scale=0.002, months=3, seed=2, overrides=LOZERE, collect=False)
    plain, extended = MigrationModel(**args), MigrationModel(**args, schedule=schedule)
    for m in (plain, extended):
        while m.running:
            m.step()
    a = plain.submodels.records.territories_table(plain)
    b = extended.submodels.records.territories_table(extended)
    assert list(b.columns) == [*a.columns, "newcomers"]
    pd.testing.assert_frame_equal(a, b[a.columns])  # the rest of the month is untouched
    hh = extended.households
    assert b["newcomers"].iloc[-len(extended.territories):].sum() == pytest.approx(
        (hh.months_since_arrival < 37).sum() / extended.scale)  # one month has passed since
    assert "newcomers" in extended.submodels


def test_the_reference_follows_the_schedule_or_says_what_it_lacks():
    """MesaReference runs one method per submodel of the model's schedule, in its order,
    and only those: with ageing first and without construction or demography it starts
    no dwelling, draws no demographic event and ends the months in the fast model's
    state. A
    submodel it has no step for is named."""
    schedule = [_named("ageing"), *_without("ageing", "construction", "demography")]
    m = MigrationModel("baseline", scale=0.002, months=2, overrides=LOZERE, collect=False,
                       schedule=schedule)
    ref = MesaReference(m)
    assert [step.__name__ for step in ref.processes] == [
        "age", "grow_incomes", "apply_policies", "update_telework", "apply_shocks", "decide",
        "choose", "allocate", "relocate", "clear_market", "record"]
    n, dwellings = len(m.households), m.stock.dwellings.tolist()
    while m.running:
        m.step()
        ref.step()
    assert ref.last_events == [] and len(ref.households) == len(m.households) == n
    assert not any(ref.built) and ref.dwellings == m.stock.dwellings.tolist() == dwellings
    for key in ("home", "profile", "job", "age", "segment", "months_since_arrival"):
        assert [getattr(a, key) for a in ref.households] == getattr(m.households, key).tolist()

    schedule = [*SCHEDULE[:-1], NewcomerShare, SCHEDULE[-1]]
    m = MigrationModel("baseline", scale=0.002, months=1, overrides=LOZERE, collect=False,
                       schedule=schedule)
    with pytest.raises(ValueError, match=r"no step for the submodel\(s\) \['newcomers'\]"):
        MesaReference(m)


def _named(name: str) -> type[Submodel]:
    (found,) = (s for s in SCHEDULE if s.name == name)
    return found


def _first(name: str) -> list:
    """The schedule with the submodel ``name`` moved to the front."""
    return [_named(name), *(s for s in SCHEDULE if s.name != name)]


def _without(*names: str) -> list:
    return [s for s in SCHEDULE if s.name not in names]


@pytest.mark.parametrize(("schedule", "allowed"), [
    (_first("choice"), "'choice' after 'shocks', whose output of the month it reads"),
    (_first("demography"), "'demography' after 'decision', whose output of the month it reads"),
    ([*SCHEDULE, _named("ageing")], "each submodel once ('ageing' twice)"),
    (_without("market"), "'construction' after 'market'"),
    (_without("market", "construction"), "a 'market' submodel, whose state 'decision' reads"),
])
def test_a_schedule_out_of_order_is_refused_before_any_step(schedule, allowed):
    with pytest.raises(ConfigError, match=re.escape(f"; allowed: {allowed}")):
        MigrationModel("baseline", scale=0.002, months=1, overrides=LOZERE, schedule=schedule)


def test_a_submodel_without_its_config_section_is_refused():
    class Unknown(Submodel):
        name, title, section = "unknown", "Unknown", "model.unknown"

    with pytest.raises(ConfigError, match=r"^schedule: 'Unknown' is not allowed; allowed: "
                                          r"submodels whose parameters \(model\.unknown\)"):
        MigrationModel("baseline", scale=0.002, months=1, overrides=LOZERE,
                       schedule=[*SCHEDULE, Unknown])


def test_a_finished_run_does_not_step_again():
    m = MigrationModel("baseline", scale=0.002, months=1, overrides=LOZERE, collect=False)
    m.step()
    assert not m.running
    with pytest.raises(RuntimeError, match="ended after its 1 months"):
        m.step()


def test_the_model_keeps_few_attributes_of_its_own(model):
    own = [k for k in vars(model) if not k.startswith("_")
           and k not in ("random", "rng", "running", "steps", "step")]  # Mesa's
    assert len(own) <= 20, own


def _modules() -> dict[str, ast.Module]:
    out = {}
    for path in SRC.rglob("*.py"):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = ast.parse(path.read_text())
    return out


def _runtime_imports(tree: ast.Module, modules) -> set[str]:
    """migrasim modules imported at module level (not under ``if TYPE_CHECKING``)."""
    found = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(
                "migrasim"):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in modules else node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("migrasim"))
    return found


def test_modules_import_each_other_without_cycles():
    modules = _modules()
    graph = {name: _runtime_imports(tree, modules) for name, tree in modules.items()}
    state: dict[str, int] = {}

    def visit(node, path):
        if state.get(node) == 1:
            raise AssertionError(f"import cycle: {' -> '.join([*path, node])}")
        if state.get(node) == 2 or node not in graph:
            return
        state[node] = 1
        for nxt in sorted(graph[node]):
            visit(nxt, [*path, node])
        state[node] = 2

    for name in sorted(graph):
        visit(name, [])


def test_functions_import_only_optional_heavy_dependencies():
    for name, tree in _modules().items():
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef):
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.Import):
                    names = {a.name for a in node.names}
                elif isinstance(node, ast.ImportFrom):
                    names = {f"{node.module}.{a.name}" for a in node.names}
                else:
                    continue
                assert names <= LAZY, f"{name}.{fn.name} imports {names}"


def test_kernels_take_at_most_eight_arguments():
    """Entry points of the kernels; their private inlined helpers keep scalar arguments,
    which LLVM vectorises in the choice kernel's inner loops."""
    for path in (SRC / "kernels").glob("*.py"):
        for fn in ast.parse(path.read_text()).body:
            if isinstance(fn, ast.FunctionDef) and not fn.name.startswith("_"):
                assert len(fn.args.args) <= 8, f"{path.name}: {fn.name}"


def test_simulation_and_model_take_the_same_argument_names():
    sim = Simulation.__init__.__code__
    mod = MigrationModel.__init__.__code__
    shared = set(mod.co_varnames[:mod.co_argcount + mod.co_kwonlyargcount])
    wanted = set(sim.co_varnames[:sim.co_argcount + sim.co_kwonlyargcount]) - {"compare_to"}
    assert wanted <= shared
