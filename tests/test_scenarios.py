"""The scenario library: scenarios compose a telework future, shocks and policies, and
the three historical scenarios compose to exactly what they were as whole files."""

import json
from pathlib import Path

import numpy as np
import pytest
from omegaconf import OmegaConf
from shipped import scenario_params

import migrasim
from migrasim import calendar
from migrasim.config import CONFIG_DIR, compose, load
from migrasim.model import MigrationModel

BEFORE = json.loads((Path(__file__).parent / "baseline" / "scenarios.json").read_text())
FUTURES = sorted(p.stem for p in (CONFIG_DIR / "telework").glob("*.yaml"))


def _scenario(name: str, *overrides: str) -> dict:
    """The composed scenario section, unchecked (its policy classes need not exist)."""
    return OmegaConf.to_container(compose([f"scenario={name}", *overrides]).scenario,
                                  resolve=True)


@pytest.mark.parametrize("name", sorted(BEFORE))
def test_baseline_covid_and_remote50_compose_to_the_configs_they_were(name):
    scenario = load([f"scenario={name}"]).scenario.model_dump(mode="json", by_alias=True)
    assert scenario.pop("focus") is None
    assert scenario == BEFORE[name]


def test_the_library_has_the_scenarios_of_the_brief():
    assert set(migrasim.scenarios()) == {
        "baseline", "covid", "remote50", "remote_max", "return_to_office",
        "haut_rouergue_accueil", "zan_strict", "vacancy_remobilisation"}


def test_every_config_file_of_the_library_says_what_it_is_and_where_it_comes_from():
    for group in ("scenario", "telework", "shocks"):
        for path in (CONFIG_DIR / group).glob("*.yaml"):
            head = path.read_text(encoding="utf-8").splitlines()[0]
            assert head.startswith("# ") and len(head) > 20, path


def test_futures_after_2020_share_the_covid_path_up_to_july_2021():
    covid = _scenario("covid")["telework"][:3]
    for future in set(FUTURES) - {"level_2019"}:
        periods = _scenario("baseline", f"telework@scenario={future}")["telework"]
        assert periods[:3] == covid, future
    assert _scenario("baseline")["telework"] == covid[:1]


def test_return_to_office_goes_halfway_back_in_2024_and_to_the_2019_level_in_2026():
    periods = {p["from"]: p for p in _scenario("return_to_office")["telework"]}
    level, plateau, half = periods["2019-01"], periods["2022-01"], periods["2024-01"]
    assert {k: periods["2026-01"][k] for k in ("share", "days")} == \
        {k: level[k] for k in ("share", "days")}
    for table in ("share", "days"):
        for profile, value in half[table].items():
            assert value == pytest.approx((plateau[table][profile] + level[table][profile]) / 2)


def test_remote_max_teleworks_every_teleworkable_job_full_time():
    """38.9 % of jobs are teleworkable (INSEE 2023): the share of working households
    teleworking on the synthetic population, each of them five days a week."""
    m = MigrationModel(config=load(["scenario=remote_max", "scale=0.01", "months=1"]))
    telework = m.submodels.telework
    days = telework.days(m, telework.period_at(calendar.parse("2022-01")))
    working = m.households.job >= 0
    assert np.mean(days[working] > 0) == pytest.approx(0.389, abs=0.01)
    assert set(np.unique(days[working])) == {0, 5}


def test_a_policy_scenario_is_a_telework_future_with_shocks_and_policies():
    remote50 = _scenario("remote50")
    for name in ("haut_rouergue_accueil", "zan_strict", "vacancy_remobilisation"):
        scenario = _scenario(name)
        assert scenario["telework"] == remote50["telework"], name
        assert scenario["shocks"] == remote50["shocks"], name
        assert scenario["policies"], name
    swapped = _scenario("zan_strict", "telework@scenario=remote_max")
    assert swapped["telework"] == _scenario("remote_max")["telework"]
    assert swapped["policies"] == _scenario("zan_strict")["policies"]


def test_haut_rouergue_accueil_is_the_welcome_mission_and_coworking_in_the_petr_at_full_scale():
    scenario = _scenario("haut_rouergue_accueil")
    assert scenario["focus"] == "petr_haut_rouergue"
    policies = {p["_target_"].rsplit(".", 1)[1]: p for p in scenario["policies"]}
    assert set(policies) == {"AccueilMission", "Coworking"}
    assert all(p["group"] == "petr_haut_rouergue" for p in policies.values())
    assert {"seats", "days_replaced"} <= set(policies["Coworking"])


def test_zan_strict_and_vacancy_remobilisation_use_their_policy_classes():
    assert [p["_target_"] for p in _scenario("zan_strict")["policies"]] == [
        "migrasim.policies.ConstructionCap"]
    assert [p["_target_"] for p in _scenario("vacancy_remobilisation")["policies"]] == [
        "migrasim.policies.VacancyRemobilisation"]


@pytest.mark.parametrize("name", scenario_params())
def test_every_shipped_scenario_runs_two_months_on_a_small_area(name):
    res = migrasim.Simulation(name, scale=0.01, months=2, compare_to=None, overrides=[
        "territory.departements=[12,48]", "start=2022-01", "progress=false"]).run()
    assert res.config.scenario.name == name and len(res.territories) > 0
