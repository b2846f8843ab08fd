"""The command line and its outputs, thread-count independence, and bad input."""

import hashlib
import json
import os
import subprocess
import sys

import pandas as pd
import pytest

RUN = [sys.executable, "-m", "migrasim"]
SMALL = ["scale=0.001", "months=4", "progress=false"]


def _run(args, tmp_path, **env):
    return subprocess.run([*RUN, *args, f"hydra.run.dir={tmp_path}"], capture_output=True,
                          text=True, env={**os.environ, **env}, timeout=600)


def test_the_main_job_writes_tables_summary_figures_and_config(tmp_path):
    out = _run(["scenario=covid", *SMALL], tmp_path)
    assert out.returncode == 0, out.stderr
    for name in ("territories.parquet", "flows.parquet", "destabilisation.parquet",
                 "baseline_territories.parquet", "summary.json", "config.yaml", "national.png",
                 "map_price_change.png", "map_net_migration.png", "flows_by_hierarchy.png"):
        assert (tmp_path / name).stat().st_size > 0, name
    territories = pd.read_parquet(tmp_path / "territories.parquet")
    assert len(territories) == 1232 * 4
    assert {"epci", "month", "population", "households_manager", "arrivals", "departures",
            "price_m2", "rent_month", "vacancy", "displaced", "unmet_demand"} <= set(
        territories.columns)
    flows = pd.read_parquet(tmp_path / "flows.parquet")
    assert {"year", "origin", "destination", "profile", "households", "persons"} <= set(
        flows.columns)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["scenario"] == "covid" and summary["compared_to"] == "baseline"
    assert 0.3 < summary["within_departement_share"] < 1
    assert len(summary["most_destabilised"]) == 10
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".*.tmp"))


def _digest(tmp_path, threads):
    out = _run(["scenario=remote50", "compare_to=null", "figures=false", *SMALL],
               tmp_path / f"t{threads}", NUMBA_NUM_THREADS=str(threads))
    assert out.returncode == 0, out.stderr
    frame = pd.read_parquet(tmp_path / f"t{threads}" / "territories.parquet")
    return hashlib.sha256(pd.util.hash_pandas_object(frame).to_numpy().tobytes()).hexdigest()


def test_one_and_two_threads_give_identical_outputs(tmp_path):
    assert _digest(tmp_path, 1) == _digest(tmp_path, 2)


@pytest.mark.parametrize(("arg", "expected"), [
    ("scenario=atlantis", "scenario: 'atlantis' is not allowed; allowed: one of"),
    ("scale=2", "scale: 2 is not allowed; allowed: a number in (0.0, 1.0]"),
    ("scale=abc", "scale: 'abc' is not allowed; allowed: a number in (0.0, 1.0]"),
    ("months=0", "months: 0 is not allowed; allowed: an integer in [1, 1200]"),
    ("model.move.annual_rate.under_30=1.5",
     "model.move.annual_rate.under_30: 1.5 is not allowed; allowed: a number in [0.0, 1.0]"),
    ("model.move.annual_rate.retiree=0.1",  # the rate is by age class, not by profile
     "model.move.annual_rate.retiree: unknown key 'retiree'; allowed: the keys ['under_30',"),
    ("territory.area=mars", "territory.area: 'mars' is not allowed"),
    ("territory.overrides=/nonexistent/prices.csv",
     "/nonexistent/prices.csv: override file not found"),
    ('territory.departements=["99"]', "territory.departements[0]: '99' is not allowed"),
    ("+scenario.policies=[{_target_: migrasim.policies.AccueilMission, group: nowhere}]",
     "scenario.policies[0].group: 'nowhere' is not allowed; allowed: one of the groups"),
    ("+scenario.policies=[{_target_: migrasim.policies.AccueilMission, untill: 2022-01}]",
     "scenario.policies[0].untill: unknown key 'untill'; allowed: the keys"),
    ("scenario.shocks=[{from: 2020-03, until: 2020-05, profiles: [astronaut]}]",
     "scenario.shocks[0].profiles[0]: 'astronaut' is not allowed"),
])
def test_bad_input_fails_with_one_clear_line(tmp_path, arg, expected):
    small = [a for a in ("months=1", "scale=0.001") if a.split("=")[0] != arg.split("=")[0]]
    out = _run([*small, arg], tmp_path)  # each key once: a key given twice is refused
    assert out.returncode != 0
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, out.stderr
    assert expected in lines[0]
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "manifest.json").exists()


def test_multirun_sweeps_scenarios_and_seeds_with_the_joblib_launcher(tmp_path):
    out = subprocess.run(
        [*RUN, "--multirun", "scenario=baseline,covid", "seed=1,2", "scale=0.0005", "months=2",
         "progress=false", "compare_to=null", "figures=false", "hydra/launcher=joblib",
         f"hydra.sweep.dir={tmp_path}"], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    done = sorted(p.parent.name for p in tmp_path.glob("*/summary.json"))
    assert done == ["0_baseline_seed1", "1_baseline_seed2", "2_covid_seed1", "3_covid_seed2"]
