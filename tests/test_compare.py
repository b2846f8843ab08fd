"""The compare command: every scenario × seed to bands, figures and a short report in
its run directory, at a tiny scale within a minute; bad input in one line, exit 2."""

import os
import subprocess
import sys

import pandas as pd
import pytest
from conftest import two_cores

from migrasim import Ensemble

RUN = [sys.executable, "-m", "migrasim.compare"]
TINY = ["seeds=2", "scale=0.002", "months=12", "territory.departements=[12,48]",
        "progress=false"]


def _compare(args, tmp_path):
    return subprocess.run([*RUN, *args, f"hydra.run.dir={tmp_path}"], capture_output=True,
                          text=True, env={**os.environ, "MPLBACKEND": "Agg"}, timeout=300)


@two_cores
def test_compare_writes_the_comparison_figures_report_and_runs(tmp_path):
    out = _compare(["scenarios=[baseline,remote50,zan_strict]", "workers=2", *TINY], tmp_path)
    assert out.returncode == 0, out.stderr
    assert "3 scenarios × 2 seeds" in out.stdout
    table = pd.read_parquet(tmp_path / "comparison.parquet")
    assert list(table.columns) == ["scenario", "indicator", "area", "year", "q10", "q50",
                                   "q90", "diff_q10", "diff_q50", "diff_q90"]
    assert set(table["scenario"]) == {"baseline", "remote50", "zan_strict"}
    assert set(table["area"]) == {"national", "target", "neighbours"}  # zan_strict: the CC
    for name in ("comparison.md", "comparison_epci.parquet", "indicators.parquet",
                 "bands_target.png", "differences_target.png", "paired_vs_level.png",
                 "map_zan_strict_price_m2.png", "runs/zan_strict/seed2/territories.parquet"):
        assert (tmp_path / name).stat().st_size > 0, name
    report = (tmp_path / "comparison.md").read_text()
    assert "Reference `baseline`; seeds 1..2 (2); scale 0.002; 12 months" in report
    ens = Ensemble.load(tmp_path)
    assert ens.results["zan_strict"][1].config.seed == 2


@pytest.mark.parametrize(("arg", "expected"), [
    ("scenarios=[baseline,atlantis]", "scenario: 'atlantis' is not allowed; allowed: one of"),
    ("seeds=0", "seeds: 0 is not allowed"),
    ("launcher=slurm", "launcher: 'slurm' is not allowed; allowed: one of"),
    ("scale=2", "scale: 2 is not allowed"),
    ("runs=maybe", "runs: 'maybe' is not allowed; allowed: true or false"),
])
def test_bad_input_stops_before_any_run_with_one_line(tmp_path, arg, expected):
    out = _compare([arg, "months=1"], tmp_path)
    assert out.returncode == 2
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and expected in lines[0], out.stderr
    assert not (tmp_path / "comparison.parquet").exists()
