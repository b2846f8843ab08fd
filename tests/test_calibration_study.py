"""Specification of the calibration study: the parameter space becomes config overrides,
the loop recovers known parameters, a study resumes from its stored trials, and several
workers share one study without running a trial twice."""

import subprocess
import sys

import optuna
import pytest
from conftest import two_cores

from migrasim.calibrate import parse
from migrasim.calibration import space, study
from migrasim.calibration.targets import Target
from migrasim.errors import ConfigError
from migrasim.experiments.launch import cores

AREA = 'territory.departements=["12","48"]'  # Aveyron, Lozère: 29 EPCI, fast


def _target(name: str, value: float, tolerance: float) -> Target:
    return Target(name=name, group="levels", value=value, tolerance=tolerance,
                  tolerance_why="test", unit="", source="test", years="2019",
                  definition="test", mapping="test", approximate=False)


def _space(tmp_path, body: str):
    path = tmp_path / "space.yaml"
    path.write_text("parameters:\n" + body, encoding="utf-8")
    return space.load(path)


HAZARD = """  - name: hazard_level
    keys: [model.move.annual_rate.*]
    kind: scale
    low: 0.6
    high: 1.6
    log: true
    why: test
"""


def test_parameters_become_the_overrides_the_command_line_would_take(tmp_path):
    """A scale multiplies every entry of the table, a shift adds, a value sets; two
    parameters on one key compose; the hand-set values are the base (fitted=none)."""
    params = _space(tmp_path, HAZARD + """  - name: young
    keys: [model.move.annual_rate.under_30]
    kind: scale
    low: 0.5
    high: 2.0
    log: true
    why: test
  - name: stay
    keys: [model.choice.same_territory.stable]
    kind: shift
    low: -1
    high: 1
    log: false
    why: test
  - name: paris
    keys: [scenario.shocks.0.move_multiplier.paris]
    kind: value
    low: 1
    high: 2
    log: false
    why: test
""")
    out = dict(o.split("=") for o in space.overrides(
        {"hazard_level": 2.0, "young": 1.5, "stay": -0.5, "paris": 1.7}, params, "covid",
        ["fitted=none"]))
    assert float(out["model.move.annual_rate.under_30"]) == pytest.approx(0.15 * 2 * 1.5)
    assert float(out["model.move.annual_rate.from_75"]) == pytest.approx(0.03 * 2)
    assert float(out["model.choice.same_territory.stable"]) == pytest.approx(1.0 - 0.5)
    assert float(out["scenario.shocks.0.move_multiplier.paris"]) == pytest.approx(1.7)


@pytest.mark.parametrize(("body", "message"), [
    (HAZARD.replace("kind: scale", "kind: double"), "kind: 'double' is not allowed"),
    (HAZARD.replace("high: 1.6", "high: 0.5"), "above low"),
    (HAZARD.replace("low: 0.6", "low: 0.0"), "positive on a log scale"),
    (HAZARD + HAZARD, "a name used once"),
    (HAZARD.replace("    why: test\n", ""), "exactly the keys"),
])
def test_a_bad_space_is_refused_in_one_line(tmp_path, body, message):
    with pytest.raises(ConfigError, match=message) as err:
        _space(tmp_path, body)
    assert "\n" not in str(err.value)


def test_an_unknown_config_key_is_refused(tmp_path):
    params = _space(tmp_path, HAZARD.replace("model.move.annual_rate.*", "model.move.nope"))
    with pytest.raises(ConfigError, match="a key of the composed config"):
        space.overrides({"hazard_level": 1.0}, params, "baseline")


def test_the_loop_recovers_a_known_parameter(tmp_path):
    """Simulate with a known hazard level (1.3), take its moments as the observations,
    fit from scratch: the best trial lies within 0.1 of the truth."""
    params = _space(tmp_path, HAZARD)
    settings = study.Settings("baseline", 0.05, 12, (1,), ("fitted=none", AREA))
    names = ["mobility_2019", "within_epci_share_2019"]
    truth = study.evaluate({"hazard_level": 1.3}, params, settings, names).iloc[0]
    targets = [_target(n, float(truth[n]), 0.02 * abs(float(truth[n]))) for n in names]
    s = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=3, n_startup_trials=6))
    s.optimize(study.Objective(params, settings, targets), n_trials=18)
    assert s.best_params["hazard_level"] == pytest.approx(1.3, abs=0.1)


def test_a_failed_trial_is_pruned_with_its_reason(tmp_path):
    params = _space(tmp_path, HAZARD.replace("model.move.annual_rate.*",
                                             "model.move.annual_rate.under_30").replace(
        "high: 1.6", "high: 100.0"))
    settings = study.Settings("baseline", 0.05, 12, (1,), ("fitted=none", AREA))
    s = optuna.create_study()
    s.enqueue_trial({"hazard_level": 90.0})  # a yearly rate of 13.5: the schema refuses it
    s.optimize(study.Objective(params, settings, [_target("mobility_2019", 11, 1)]),
               n_trials=1)
    trial = s.trials[0]
    assert trial.state == optuna.trial.TrialState.PRUNED
    assert "model.move.annual_rate.under_30" in trial.user_attrs["failed"]


def _cli(tmp_path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "migrasim.calibrate", "study=t", "area=12,48", "scale=0.03",
         "months=12", "seeds=1", "scenario=baseline", "fit=levels",
         f"results={tmp_path / 'results'}", f"storage=journal:{tmp_path / 't.log'}", *args],
        capture_output=True, text=True, timeout=600)


def _stored(tmp_path) -> list:
    from optuna.storages.journal import JournalFileBackend, JournalStorage
    store = JournalStorage(JournalFileBackend(str(tmp_path / "t.log")))
    return optuna.load_study(study_name="t", storage=store).get_trials(states=study.DONE)


def test_a_study_stopped_and_run_again_goes_on_from_its_stored_trials(tmp_path):
    first = _cli(tmp_path, "n_trials=2")
    assert first.returncode == 0, first.stderr[-2000:]
    before = {t.number: t.params for t in _stored(tmp_path)}
    assert len(before) == 2
    again = _cli(tmp_path, "n_trials=4")
    assert again.returncode == 0, again.stderr[-2000:]
    after = {t.number: t.params for t in _stored(tmp_path)}
    assert len(after) == 4 and all(after[n] == p for n, p in before.items())
    assert (tmp_path / "results" / "t" / "trials.csv").exists()


@two_cores
def test_two_workers_share_one_study_without_running_a_trial_twice(tmp_path):
    run = _cli(tmp_path, "n_trials=6", "workers=2")
    assert run.returncode == 0, run.stderr[-2000:]
    trials = _stored(tmp_path)
    assert 6 <= len(trials) <= 7  # a worker may start one more as the other finishes the 6th
    assert len({t.number for t in trials}) == len(trials)
    assert len({tuple(sorted(t.params.items())) for t in trials}) == len(trials)


def test_bad_calibration_arguments_exit_2_in_one_line():
    run = subprocess.run([sys.executable, "-m", "migrasim.calibrate", "study=x",
                          "n_trials=zero"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "error: n_trials: 'zero' is not allowed; allowed: a number of trials ≥ 1"]


def test_more_local_workers_than_cores_are_refused_so_workers_times_threads_fit_the_cores():
    with pytest.raises(ConfigError) as err:
        parse(["study=x", f"workers={cores() + 1}"])
    assert str(err.value).startswith(f"workers: {cores() + 1} is not allowed; allowed: 1 to "
                                     f"{cores()}, the cores of this machine")
    assert parse(["study=x", f"workers={cores()}"])["workers"] == cores()
    # SLURM jobs are not this machine's workers
    assert parse(["study=x", f"workers={cores() + 1}", "launcher=submitit"])["workers"] \
        == cores() + 1


def test_the_default_config_runs_the_fitted_values_and_fitted_none_the_hand_set_ones():
    """configs/fitted/default.yaml (written by ``report=true apply=true``) says which study,
    trial, seeds and date produced it, and every value it sets is what a default run
    uses; ``fitted=none`` gives configs/model/default.yaml's hand-set values back."""
    import yaml
    from omegaconf import OmegaConf

    from migrasim.calibrate import FITTED
    from migrasim.config import configure

    text = FITTED.read_text(encoding="utf-8")
    fitted = yaml.safe_load(text) or {}
    assert fitted, "no fitted values committed"
    for word in ("study=", "trial", "seeds", "written"):
        assert word in text
    default = OmegaConf.create(configure(None, scenario="baseline").model_dump(by_alias=True))
    hand = OmegaConf.create(configure(None, scenario="baseline", overrides=["fitted=none"])
                            .model_dump(by_alias=True))

    def leaves(tree, prefix=""):
        for k, v in tree.items():
            yield from (leaves(v, f"{prefix}{k}.") if isinstance(v, dict) else
                        [(f"{prefix}{k}", v)])
    changed = 0
    for key, value in leaves(fitted):
        assert OmegaConf.select(default, key) == pytest.approx(value), key
        changed += OmegaConf.select(hand, key) != pytest.approx(value)
    assert changed > 0
