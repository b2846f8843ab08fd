"""The calibration report states the fit exactly (medians, 10–90 % bands, errors in
tolerance units, fitted vs out of sample), and Morris screening finds which parameter moves
which target and which parameters the targets leave free."""

import json
import time
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from migrasim.calibration import report, sensitivity


def target(name, value, tolerance, group="levels", approximate=False, mapping=""):
    return SimpleNamespace(name=name, group=group, value=value, tolerance=tolerance,
                           tolerance_why="test", unit="%", source="synthetic",
                           years=(2019, 2021), definition=f"{name} defined",
                           mapping=mapping, approximate=approximate)


TARGETS = [
    target("close", 10.0, 2.0),
    target("far", 5.0, 0.5, group="changes", approximate=True,
           mapping="read from the covid run's third year, departures only"),
    target("held_out", 1.0, 1.0),
]
SIMS = pd.DataFrame({
    "close": [9.0, 10.0, 11.0, 12.0, 13.0],    # median 11 → error +0.5, met
    "far": [6.0, 6.5, 7.0, 8.0, 100.0],         # median 7 → error +4, not met
    "held_out": [0.0, 0.5, 1.0, 1.5, 1.8],      # median 1 → error 0, met
})
META = {"study": "test-study", "trial": 7, "seeds": [1, 2, 3, 4, 5], "loss": 1.25,
        "parameters": {"alpha": np.float64(0.3), "beta": 2}, "date": "2025-01-01"}


@pytest.fixture
def fit(tmp_path):
    return report.write(tmp_path, TARGETS, SIMS, META, fitted_on=["close", "far"]), tmp_path


def test_the_fit_states_medians_bands_and_errors_exactly(fit):
    out, d = fit
    assert json.loads((d / "fit.json").read_text()) == out
    rows = {r["name"]: r for r in out["targets"]}
    for t in TARGETS:
        r, values = rows[t.name], SIMS[t.name].to_numpy()
        median = np.median(values)
        assert r["observed"] == t.value and r["tolerance"] == t.tolerance
        assert r["simulated_median"] == median
        assert r["band_10"] == np.percentile(values, 10)
        assert r["band_90"] == np.percentile(values, 90)
        assert r["error_units"] == pytest.approx((median - t.value) / t.tolerance)
        assert r["met"] == (abs(r["error_units"]) <= 1)
        assert r["group"] == t.group and r["unit"] == "%" and r["years"] == [2019, 2021]
    assert [rows[n]["met"] for n in ("close", "far", "held_out")] == [True, False, True]
    assert rows["far"]["error_units"] == pytest.approx(4.0)
    assert rows["far"]["approximate"] is True
    assert out["meta"]["parameters"] == {"alpha": 0.3, "beta": 2}
    assert out["meta"]["trial"] == 7


def test_fitted_on_splits_the_fitted_targets_from_the_out_of_sample_ones(fit, tmp_path):
    out, d = fit
    assert {r["name"]: r["fitted"] for r in out["targets"]} == {
        "close": True, "far": True, "held_out": False}
    s = out["summary"]
    assert (s["n_met"], s["n_targets"]) == (2, 3)
    assert s["rms_error_units"] == pytest.approx(np.sqrt((0.5**2 + 4**2 + 0) / 3))
    assert (s["out_of_sample"]["n_met"], s["out_of_sample"]["n_targets"]) == (1, 1)
    assert s["out_of_sample"]["rms_error_units"] == 0
    assert (s["fitted"]["n_met"], s["fitted"]["n_targets"]) == (1, 2)
    everything = report.write(tmp_path / "all", TARGETS, SIMS, META)
    assert all(r["fitted"] for r in everything["targets"])
    assert everything["summary"]["out_of_sample"] is None
    assert "## Out of sample" not in (tmp_path / "all" / "fit.md").read_text()
    with pytest.raises(ValueError, match="unknown"):
        report.write(tmp_path / "bad", TARGETS, SIMS, META, fitted_on=["nope"])


def test_the_markdown_lists_what_is_not_met_with_its_mapping(fit):
    _, d = fit
    md = (d / "fit.md").read_text()
    assert md.startswith("# Calibration fit — test-study")
    assert "- trial: 7" in md
    not_met = md.split("## Not met")[1].split("##")[0]
    assert "**far**" in not_met and "+4.00" in not_met
    assert "third year, departures only" in not_met and "approximate" in not_met
    assert "close" not in not_met and "held_out" not in not_met
    out_of_sample = md.split("## Out of sample")[1].split("##")[0]
    assert "held_out" in out_of_sample and "| far " not in out_of_sample
    assert "✓" in md and "✗" in md and "out of sample" in md
    assert "fit.png" in md


def test_the_figure_is_written_and_deterministic(fit, tmp_path):
    _, d = fit
    png = (d / "fit.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 1000
    report.write(tmp_path / "again", TARGETS, SIMS, META, fitted_on=["close", "far"])
    assert (tmp_path / "again" / "fit.png").read_bytes() == png
    assert not list(d.glob("*.tmp"))


def test_a_target_without_simulated_values_is_reported_not_met(tmp_path):
    sims = SIMS.drop(columns="held_out").assign(far=np.nan)
    out = report.write(tmp_path, TARGETS, sims, META)
    rows = {r["name"]: r for r in out["targets"]}
    for name in ("far", "held_out"):
        assert rows[name]["simulated_median"] is None and rows[name]["met"] is False
    assert out["summary"]["rms_error_units"] == pytest.approx(0.5)
    assert "not simulated" in (tmp_path / "fit.md").read_text()


SPACE = [SimpleNamespace(name="x", low=0.0, high=1.0, log=False),
         SimpleNamespace(name="y", low=0.0, high=1.0, log=False),
         SimpleNamespace(name="z", low=0.1, high=10.0, log=True)]
MORRIS_TARGETS = [target("A", 0.0, 0.1), target("B", 0.0, 0.1), target("C", 0.0, 0.1)]


def synthetic(values):
    assert 0.1 <= values["z"] <= 10.0 and isinstance(values["x"], float)
    return {"A": 3 * values["x"], "B": values["y"] ** 2, "C": 0.5 + 0.0 * values["z"]}


def test_morris_finds_which_parameter_moves_which_target_and_what_is_free(tmp_path):
    start = time.perf_counter()
    df = sensitivity.morris(SPACE, synthetic, MORRIS_TARGETS, trajectories=8, seed=3)
    assert time.perf_counter() - start < 2
    assert list(df.columns[:6]) == ["parameter", "target", "mu", "mu_star", "sigma",
                                    "mu_star_conf"]
    assert len(df) == 9
    mu_star = df.set_index(["parameter", "target"])["mu_star"]
    assert mu_star["x", "A"] == pytest.approx(30)  # 3 / 0.1 per full range, linear
    assert 5 < mu_star["y", "B"] < 20  # y² moves B by ~1 per full range: ~10 tolerances
    for p, t in [("x", "B"), ("x", "C"), ("y", "A"), ("y", "C"), ("z", "A"), ("z", "B"),
                 ("z", "C")]:
        assert mu_star[p, t] == pytest.approx(0, abs=1e-9)
    rank = sensitivity.ranking(df)
    assert list(rank.index) == ["x", "y", "z"]
    assert list(sensitivity.ranking(df, "max").index) == ["x", "y", "z"]
    assert sensitivity.unidentified(df) == ["z"]
    assert sensitivity.unidentified(df, threshold=20) == ["y", "z"]
    calls = []

    def mapped(fn, points):  # a pool's map: the same results, in order
        calls.append(len(points))
        return [fn(p) for p in reversed(points)][::-1]

    again = sensitivity.morris(SPACE, synthetic, MORRIS_TARGETS, trajectories=8, seed=3,
                               map_fn=mapped)
    assert calls == [8 * (len(SPACE) + 1)]
    pd.testing.assert_frame_equal(df, again)

    sensitivity.write(tmp_path, df)
    records = json.loads((tmp_path / "sensitivity.json").read_text())
    assert len(records) == 9 and records[0]["parameter"] == "x"
    md = (tmp_path / "sensitivity.md").read_text()
    free = md.split("## Unidentified parameters")[1].split("##")[0]
    assert "- z" in free and "- x" not in free and "- y" not in free
    ranked = md.split("## Ranking")[1].split("##")[0]
    assert ranked.index("| x |") < ranked.index("| y |") < ranked.index("| z |")
    assert (tmp_path / "sensitivity.png").read_bytes().startswith(b"\x89PNG")


def test_a_log_parameter_is_sampled_in_log_space():
    seen = []

    def record(values):
        seen.append(values["z"])
        return {"A": np.log10(values["z"]), "B": 0.0, "C": 0.0}

    df = sensitivity.morris(SPACE[2:], record, MORRIS_TARGETS, trajectories=4, levels=4)
    # four levels evenly spaced in log10 between -1 and 1
    assert set(np.round(np.log10(seen), 9)) <= {-1.0, round(-1 / 3, 9), round(1 / 3, 9), 1.0}
    # log10 z spans 2 over the full range: 2 / 0.1 = 20 tolerances, for every step
    assert df.set_index("target").loc["A", "mu_star"] == pytest.approx(20)
