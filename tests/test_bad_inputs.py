"""Bad input beyond the config values, as a specification: override files, scenario files,
command-line arguments and API calls.

Each is refused before any work, in ONE line naming the key (or file, row and column),
the value and what is allowed; on the command line with exit code 2 and no traceback.
(The bad config values themselves are the table of tests/test_config.py, BAD_VALUES.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from migrasim import ConfigError, Ensemble, MigrationModel, Simulation
from migrasim.__main__ import preflight
from migrasim.config import CONFIG_DIR, load
from migrasim.errors import TerritoryDataError

GRAND_PARIS, METROPOLE_DE_LYON = "200054781", "200046977"
ROW1, ROW2 = f"row 1 (epci {GRAND_PARIS})", f"row 2 (epci {GRAND_PARIS})"  # where a value is
POSITIVE = "a finite number in (0.0, inf)"
SCENARIOS = ("['baseline', 'covid', 'haut_rouergue_accueil', 'remote50', 'remote_max', "
             "'return_to_office', 'vacancy_remobilisation', 'zan_strict']")


def one_line(error: Exception) -> str:
    message = str(error)
    assert "\n" not in message and message == message.strip(), message
    return message


# -------------------------------------------------------------------- override files
OVERRIDE_FILES = [
    pytest.param(f"epci,prix_m2\n{GRAND_PARIS},9000\n",
                 "column 'prix_m2' is unknown (it would be ignored); allowed: ['population'",
                 id="misspelt column"),
    pytest.param(f"epci,price_m2\n{GRAND_PARIS},cher\n",
                 f"{ROW1}, column 'price_m2': value 'cher' is not numeric; allowed: {POSITIVE}",
                 id="not numeric"),
    pytest.param(f"epci,price_m2\n{GRAND_PARIS},\n",
                 f"{ROW1}, column 'price_m2': value is missing (NaN); allowed: {POSITIVE}",
                 id="empty cell"),
    pytest.param(f"epci,rent_month\n{GRAND_PARIS},nan\n",
                 f"{ROW1}, column 'rent_month': value is missing (NaN); allowed: {POSITIVE}",
                 id="NaN"),
    pytest.param(f"epci,price_m2\n{GRAND_PARIS},inf\n",
                 f"{ROW1}, column 'price_m2': value inf is infinite; allowed: {POSITIVE}",
                 id="infinite"),
    pytest.param(f"epci,income_month\n{GRAND_PARIS},0\n",
                 f"{ROW1}, column 'income_month': value 0 is zero; allowed: {POSITIVE}",
                 id="zero income"),
    pytest.param(f"epci,dwellings\n{METROPOLE_DE_LYON},10\n{GRAND_PARIS},0\n",
                 f"{ROW2}, column 'dwellings': value 0 is zero; allowed: {POSITIVE}",
                 id="zero dwellings"),
    pytest.param(f"epci,population\n{GRAND_PARIS},-5\n",
                 f"{ROW1}, column 'population': value -5 is negative; allowed: {POSITIVE}",
                 id="negative"),
    pytest.param(f"epci,vacant\n{GRAND_PARIS},0\n{GRAND_PARIS},1\n",
                 f"row 2, column 'epci': duplicate code '{GRAND_PARIS}'; allowed: each code once",
                 id="duplicate EPCI"),
    pytest.param(f"epci,broadband\n{GRAND_PARIS},1.5\n",
                 f"{ROW1}, column 'broadband': value 1.5 is out of range; allowed: a number in "
                 "[0.0, 1.0]", id="out of range"),
    pytest.param("", "empty file; allowed: a header with 'epci' or 'commune' and one row per "
                 "code", id="empty file"),
    pytest.param("epci,price_m2\n", "no rows (only a header); allowed: one row per epci code "
                 "to override", id="header only"),
    pytest.param(f"epci\n{GRAND_PARIS}\n", "no column besides 'epci'; allowed: columns of",
                 id="key column only"),
    pytest.param(f"epci;price_m2\n{GRAND_PARIS};9000\n", "missing key column; allowed: 'epci' "
                 "(SIREN code) or 'commune' (INSEE code)", id="semicolons"),
    pytest.param(f"epci,kind\n{GRAND_PARIS},CC\n", "column 'kind' is an identity column",
                 id="identity column"),
    pytest.param("epci,price_m2\n999999999,9000\n", "row 1, column 'epci': code '999999999' is "
                 "not a known epci code of the study area", id="unknown EPCI"),
]


@pytest.mark.parametrize(("text", "expected"), OVERRIDE_FILES)
def test_a_bad_override_file_is_refused_naming_file_row_column_and_value(
        tmp_path, text, expected):
    path = tmp_path / "mine.csv"
    path.write_text(text)
    with pytest.raises(TerritoryDataError) as info:
        Simulation(overrides=[f"territory.overrides={path}"], compare_to=None)
    assert one_line(info.value).startswith(f"{path}: {expected}")


@pytest.mark.parametrize(("make", "expected"), [
    (lambda tmp: tmp / "missing.csv", "override file not found"),
    (lambda tmp: tmp, "is a directory; allowed: a .csv or .parquet file"),
    (lambda tmp: tmp / "prices.xlsx", "unsupported file type '.xlsx'; allowed: .csv, .parquet"),
], ids=["missing", "a directory", "xlsx"])
def test_an_override_path_that_is_not_a_table_file_is_refused(tmp_path, make, expected):
    path = make(tmp_path)
    if path.suffix == ".xlsx":
        path.write_text("epci\n")
    with pytest.raises(TerritoryDataError) as info:
        Simulation(overrides=[f"territory.overrides={path}"], compare_to=None)
    assert one_line(info.value) == f"{path}: {expected}"


# -------------------------------------------------------------------- scenario files
@pytest.fixture
def my_scenario():
    """A scenario file written for one test in the package's scenario folder."""
    path = CONFIG_DIR / "scenario" / "my_bad_input.yaml"
    yield path
    path.unlink(missing_ok=True)


COVID = "defaults:\n  - /telework@_here_: covid\n  - _self_\nname: my_bad_input\n"
SCENARIO_FILES = [
    pytest.param("defaults:\n  - /shocks@_here_: covid\n  - _self_\nname: my_bad_input\n",
                 "scenario.telework: missing; allowed: a non-empty list of telework periods",
                 id="no telework"),
    pytest.param("name: my_bad_input\ntelework: []\n",
                 "scenario.telework: [] is not allowed; allowed: a non-empty list of telework "
                 "periods", id="empty telework"),
    pytest.param("name: my_bad_input\ntelework:\n  - {from: '2019-01', share: {manager: 2}, "
                 "days: 1}\n", "scenario.telework[0].share.manager: 2 is not allowed; allowed: "
                 "a number in [0.0, 1.0]", id="telework share above 1"),
    pytest.param(COVID + "shocks:\n  - {from: '2020-03', until: '2019-01'}\n",
                 "scenario.shocks[0].until: '2019-01' is not allowed; allowed: a month at or "
                 "after 'from' (2020-03)", id="shock ending before it starts"),
    pytest.param(COVID + "policies:\n  - {_target_: migrasim.policies.AccueilMission, "
                 "marketing_bonus: lots}\n", "scenario.policies[0].marketing_bonus: 'lots' is "
                 "not allowed; allowed: a number", id="policy option of the wrong type"),
    pytest.param(COVID + "policies:\n  - {_target_: migrasim.policies.Nowhere}\n",
                 "scenario.policies[0]._target_: 'migrasim.policies.Nowhere' is not allowed",
                 id="unknown policy class"),
    pytest.param(COVID.replace("my_bad_input", "baseline"), "scenario.name: 'baseline' is not "
                 "allowed; allowed: 'my_bad_input', the name of its file", id="misnamed"),
]


@pytest.mark.parametrize(("text", "expected"), SCENARIO_FILES)
def test_a_bad_scenario_file_is_refused_in_one_line(my_scenario, text, expected):
    my_scenario.write_text(text)
    with pytest.raises(ConfigError) as info:
        load(["scenario=my_bad_input"])
    assert one_line(info.value).startswith(expected)


# ------------------------------------------------------------------------- API calls
TINY = {"scale": 0.0005, "months": 1}
API_CALLS = [
    pytest.param(lambda: Simulation(scale="abc"),
                 "scale: 'abc' is not allowed; allowed: a number in (0.0, 1.0]", id="Sim scale"),
    pytest.param(lambda: Simulation(seed=-1), "seed: -1 is not allowed; allowed: an integer "
                 "in [0, 9223372036854775807]", id="Sim seed"),
    pytest.param(lambda: Simulation(overrides="scale=0.1"),
                 "overrides: 'scale=0.1' is not allowed; allowed: a list of hydra overrides",
                 id="Sim overrides a string"),
    pytest.param(lambda: Simulation(compare_to="nope"),
                 f"compare_to: 'nope' is not allowed; allowed: null or one of {SCENARIOS}",
                 id="Sim compare_to"),
    pytest.param(lambda: Simulation("atlantis"),
                 f"scenario: 'atlantis' is not allowed; allowed: one of {SCENARIOS}",
                 id="Sim scenario"),
    pytest.param(lambda: Simulation(months=0),
                 "months: 0 is not allowed; allowed: an integer in [1, 1200]", id="Sim months"),
    pytest.param(lambda: Simulation(config=load(), seed=2), "config: \"with ['seed']\" is not "
                 "allowed; allowed: either a config or keyword arguments and overrides",
                 id="Sim config and keywords"),
    pytest.param(lambda: Simulation(overrides=["territory.departements=[12,99,98]"],
                                    compare_to=None),
                 "territory.departements[1]: '99' is not allowed; allowed: a département code "
                 "of the metro area, e.g. '12' (Aveyron), '2A' (Corse-du-Sud) (unknown: "
                 "['99', '98'])", id="Sim partly unknown départements"),
    pytest.param(lambda: MigrationModel(seed=True),
                 "seed: True is not allowed; allowed: an integer seed ≥ 0", id="Model seed"),
    pytest.param(lambda: MigrationModel(config=5), "config: 'int' is not allowed; allowed: a "
                 "migrasim Config, an omegaconf DictConfig or a mapping", id="Model config"),
    pytest.param(lambda: MigrationModel(scale=0),
                 "scale: 0 is not allowed; allowed: a number in (0.0, 1.0]", id="Model scale"),
    pytest.param(lambda: MigrationModel(overrides=["model.households.housing_factor.manager=0"]),
                 "model.households.housing_factor.manager: 0 is not allowed; allowed: a number "
                 "in (0.0, 10.0]", id="Model housing factor 0"),
    pytest.param(lambda: MigrationModel(overrides=["model.choice.cost.manager=abc"]),
                 "model.choice.cost.manager: 'abc' is not allowed; allowed: a number ≤ 0.0",
                 id="Model cost not a number"),
    pytest.param(lambda: MigrationModel(overrides=["territory.departements=[]"]),
                 "territory.departements: [] is not allowed; allowed: null or a non-empty list",
                 id="Model no département"),
    pytest.param(lambda: Ensemble(seeds=0),
                 "seeds: 0 is not allowed; allowed: a number of seeds ≥ 1", id="Ens seeds"),
    pytest.param(lambda: Ensemble(seeds=[1, 1]), "seeds: [1, 1] is not allowed; allowed: a "
                 "number of seeds ≥ 1 or a list of distinct integer seeds ≥ 0",
                 id="Ens repeated seed"),
    pytest.param(lambda: Ensemble(scenarios="baseline"), "scenarios: 'baseline' is not "
                 "allowed; allowed: a non-empty list of scenario names", id="Ens scenarios"),
    pytest.param(lambda: Ensemble(workers=0), "workers: 0 is not allowed; allowed: null (the "
                 "cores) or an integer ≥ 1", id="Ens workers"),
    pytest.param(lambda: Ensemble(launcher="joblibb"), "launcher: 'joblibb' is not allowed; "
                 "allowed: one of ['joblib', 'submitit_local', 'submitit_slurm']",
                 id="Ens launcher"),
    pytest.param(lambda: Ensemble(reference=5),
                 "reference: 5 is not allowed; allowed: a scenario name", id="Ens reference"),
    pytest.param(lambda: Ensemble(radius_km=-1, **TINY), "radius_km: -1 is not allowed; "
                 "allowed: a positive finite number of kilometres", id="Ens radius"),
    pytest.param(lambda: Ensemble(target="nowhere", **TINY), "target: 'nowhere' is not "
                 "allowed; allowed: a group of territory.groups", id="Ens target"),
    pytest.param(lambda: Ensemble(["baseline", "atlantis"]),
                 f"scenario: 'atlantis' is not allowed; allowed: one of {SCENARIOS}",
                 id="Ens scenario"),
    pytest.param(lambda: Ensemble(overrides=["compare_to=covid"]), "overrides: "
                 "'compare_to=covid' is not allowed; allowed: other keys", id="Ens managed key"),
    pytest.param(lambda: Ensemble(scale=2),
                 "scale: 2 is not allowed; allowed: a number in (0.0, 1.0]", id="Ens scale"),
]


@pytest.mark.parametrize(("call", "expected"), API_CALLS)
def test_a_bad_api_call_is_refused_at_construction_in_one_line(call, expected):
    with pytest.raises(ConfigError) as info:
        call()
    assert one_line(info.value).startswith(expected)


# ------------------------------------------------------------------ command lines
def _a_file(tmp: Path) -> Path:
    (tmp / "a_file").write_text("")
    return tmp / "a_file"


COMMAND_LINES = [
    pytest.param(lambda tmp: ["seed=1", "seed=2"],
                 "seed: given twice ('1', then '2'); allowed: each key once on a command line",
                 id="a key twice"),
    pytest.param(lambda tmp: ["--multirun", "seed=1,2", "seed=3"],
                 "seed: given twice ('1,2', then '3'); allowed: each key once",
                 id="a swept key twice"),
    pytest.param(lambda tmp: ["--multirun", "seed=1,2", "hydra/launcher=joblibb"],
                 "hydra/launcher: 'joblibb' is not allowed; allowed: one of ['basic', 'joblib']; "
                 "did you mean 'joblib'?", id="launcher typo"),
    pytest.param(lambda tmp: [f"hydra.run.dir={_a_file(tmp)}"],
                 "hydra.run.dir: {tmp}/a_file is a file; allowed: a directory that exists or "
                 "can be created, and is writable", id="run dir a file"),
    pytest.param(lambda tmp: [f"hydra.run.dir={_a_file(tmp)}/run"],
                 "hydra.run.dir: {tmp}/a_file is a file", id="run dir under a file"),
    pytest.param(lambda tmp: ["--multirun", "seed=1,2", f"hydra.sweep.dir={_a_file(tmp)}"],
                 "hydra.sweep.dir: {tmp}/a_file is a file", id="sweep dir a file"),
    pytest.param(lambda tmp: ["hydra.run.dir=/proc/migrasim_run"],
                 "hydra.run.dir: /proc is not writable", id="read-only run dir"),
    pytest.param(lambda tmp: ["--multirun", "model.market.inertia=0.5,7"],
                 "model.market.inertia: 7 is not allowed", id="sweep with one bad job"),
    pytest.param(lambda tmp: ["--multirun", "territory.departements=[12],[12,99]"],
                 "territory.departements[1]: '99' is not allowed", id="sweep, bad study area"),
]


@pytest.mark.parametrize(("arguments", "expected"), COMMAND_LINES)
def test_a_bad_command_line_is_refused_before_any_job(tmp_path, arguments, expected):
    if "/proc" in expected and not Path("/proc/self").exists():
        pytest.skip("needs Linux's read-only /proc")
    with pytest.raises(ConfigError) as info:
        preflight([*arguments(tmp_path), "compare_to=null", "months=1", "scale=0.0005"])
    assert one_line(info.value).startswith(expected.format(tmp=tmp_path))


CLI = [sys.executable, "-m", "migrasim", "months=1", "scale=0.001", "progress=false",
       "figures=false", "compare_to=null"]


@pytest.mark.parametrize("arguments", [
    ["seed=1", "seed=2"],
    ["--multirun", "seed=1,2", "hydra/launcher=joblibb"],
    ["hydra.run.dir={tmp}/a_file"],
], ids=["a key twice", "launcher typo", "run dir a file"])
def test_the_command_line_says_it_in_one_line_with_exit_code_2(tmp_path, arguments):
    _a_file(tmp_path)
    args = [a.format(tmp=tmp_path) for a in arguments]
    if not any(a.startswith("hydra.run.dir") for a in args):
        args.append(f"hydra.{'sweep' if '--multirun' in args else 'run'}.dir={tmp_path}/out")
    out = subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=300)
    assert out.returncode == 2, out.stderr
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert out.stderr.startswith("migrasim: ") and "Traceback" not in out.stderr
    assert not (tmp_path / "out").exists()


def test_ile_de_france_outside_the_study_area_is_not_reported_as_zero(tmp_path):
    out = subprocess.run([*CLI, "territory.departements=[12,48]", f"hydra.run.dir={tmp_path}"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert ("Île-de-France net migration per year: n/a (Île-de-France not in the study area)"
            in out.stdout)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["idf_net_migration_per_year"] is None
