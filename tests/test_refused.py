"""Inputs that would give results full of NaN are refused before any work, in one line:
an override that must be positive and finite, a scale leaving an EPCI with no one."""

import os
import subprocess
import sys

import pandas as pd
import pytest

from migrasim import ConfigError, Simulation
from migrasim.model import MigrationModel

SMALLEST = "244600573 CC du Causse de Labastide Murat"


def test_a_scale_leaving_an_epci_with_no_household_is_refused_naming_the_smallest():
    with pytest.raises(ConfigError) as err:
        Simulation(scale=1e-9, months=1)
    assert str(err.value) == (
        f"scale: 1e-09 leaves 1232 EPCI of the study area with no household (the smallest, "
        f"{SMALLEST}, has 1,733 households: 1.73e-06 at this scale); allowed: a scale >= "
        "0.000577 (one household in the smallest EPCI)")


def test_the_model_refuses_it_too_and_a_scale_giving_everyone_a_household_runs():
    with pytest.raises(ConfigError, match=r"^scale: 0\.0001 leaves \d+ EPCI of the study area "
                                          r"with no household \(the smallest, "):
        MigrationModel(scale=1e-4, months=1)
    model = MigrationModel(scale=0.000577, months=1)
    assert (pd.Series(model.households.home).value_counts().size
            == len(model.territories))


def test_an_overrides_file_with_a_zero_income_fails_in_one_line_with_code_2(tmp_path):
    table = tmp_path / "incomes.csv"
    pd.DataFrame({"epci": ["200054781", "200046977"], "income_month": [2500.0, 0.0]}).to_csv(
        table, index=False)
    out = subprocess.run(
        [sys.executable, "-m", "migrasim", "months=1", "scale=0.001", "progress=false",
         f"territory.overrides={table}", f"hydra.run.dir={tmp_path / 'run'}"],
        capture_output=True, text=True, env=os.environ, timeout=300)
    assert out.returncode == 2
    assert out.stderr == (f"migrasim: {table}: row 2 (epci 200046977), column 'income_month': "
                          "value 0.0 is zero; allowed: a finite number in (0.0, inf)\n")
    assert not (tmp_path / "run").exists()
