"""Config checking, as a specification.

Every value of the config tree is checked once, before any work, against the schema
(``migrasim.config.schema``): a bad value, an unknown key or a missing one raises a
:class:`migrasim.ConfigError` whose message is ONE line,
``<key>: <value repr> is not allowed; allowed: <what>`` (or ``<key>: missing; ...`` /
``<key>: unknown key 'x'; allowed: ...; did you mean 'y'?``). This file specifies:

* the refusal, with its exact key, value and allowed text, of a bad value in every
  section (root, territory, model.*, scenario incl. shocks and policies);
* unknown keys, with or without hydra's ``+``, answered with the closest valid key;
* profiles as data: renaming a profile everywhere changes nothing but its name, and a
  profile that a role still names cannot be dropped;
* errors raised at construction (``Simulation``, ``MigrationModel``), not in ``run()``;
* a ``--multirun`` sweep refused before any of its jobs runs;
* ``Results.load`` reopening a saved run.
"""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf
from shipped import scenario_params

import migrasim
import migrasim.experiments.simulation
import migrasim.model
from migrasim import ConfigError, MigrationModel, Results, Simulation
from migrasim.__main__ import preflight
from migrasim.config import CONFIG_DIR, compose, jobs, load, validate

PROFILES = "['manager', 'hybrid', 'neo_rural', 'retiree', 'precarious', 'stable']"
WORKERS = "['manager', 'hybrid', 'neo_rural', 'precarious', 'stable']"
AGES = "['under_30', 'from_30_to_44', 'from_45_to_59', 'from_60_to_74', 'from_75']"
CLASSES = "['paris', 'metropole', 'large_urban', 'medium', 'small_rural']"
KINDS = "['ME', 'CU', 'CA', 'CC']"
SCENARIOS = ("['baseline', 'covid', 'haut_rouergue_accueil', 'remote50', 'remote_max', "
             "'return_to_office', 'vacancy_remobilisation', 'zan_strict']")
MARKET = ("['income_elasticity', 'rate_semi_elasticity', 'national_adjustment', 'response', "
          "'vacancy_weight', 'vacancy_months', 'inertia', 'max_monthly_change', "
          "'rent_pass_through']")
ACCUEIL = ("['territories', 'departements', 'group', 'kind', 'from', 'until', "
           "'marketing_bonus', 'retention', 'profiles', 'cost_per_year']")
REGIONS = ("['01', '02', '03', '04', '06', '11', '24', '27', '28', '32', '44', '52', '53', "
           "'75', '76', '84', '93', '94']")
NOT_A_POLICY = ("the dotted path of a migrasim.policies.Policy subclass, "
                "e.g. migrasim.policies.AccueilMission")
COVID = "scenario=covid"
TINY = ["scale=0.0005", "months=1", "compare_to=null", "progress=false"]
SMALL_AREA = ["scenario=covid", "territory.departements=[12,48]", "scale=0.01", "months=6",
              "compare_to=null", "progress=false"]


def _policy(options: str) -> str:
    return f"scenario.policies=[{{{options}}}]"


def _accueil(options: str) -> str:
    return _policy(f"_target_:migrasim.policies.AccueilMission,{options}")


def refusal(overrides: list[str]) -> ConfigError:
    """The ConfigError of ``load(overrides)``, whose message must be one line."""
    with pytest.raises(ConfigError) as info:
        load(overrides)
    message = str(info.value)
    assert "\n" not in message and message == message.strip(), message
    return info.value


def case(overrides, key: str, problem: str, allowed: str, id: str | None = None):
    overrides = [overrides] if isinstance(overrides, str) else list(overrides)
    return pytest.param(overrides, key, problem, allowed, id=id or " ".join(overrides))


# ----------------------------------------------------------------- one bad value each
BAD_VALUES = [
    # root keys
    case("seed=-1", "seed", "-1 is not allowed", "an integer in [0, 9223372036854775807]"),
    case("seed=1.5", "seed", "1.5 is not allowed", "an integer in [0, 9223372036854775807]"),
    case("scale=2", "scale", "2 is not allowed", "a number in (0.0, 1.0]"),
    case("scale=0", "scale", "0 is not allowed", "a number in (0.0, 1.0]"),
    case("start=2019-13", "start", "'2019-13' is not allowed", "a month written 'YYYY-MM'"),
    case("months=0", "months", "0 is not allowed", "an integer in [1, 1200]"),
    case("months=2.0", "months", "2.0 is not allowed", "an integer in [1, 1200]"),
    case("compare_to=nope", "compare_to", "'nope' is not allowed", f"null or one of {SCENARIOS}"),
    case("progress=maybe", "progress", "'maybe' is not allowed", "true or false"),
    case("figures=1", "figures", "1 is not allowed", "true or false"),
    case("scenario=nope", "scenario", "'nope' is not allowed", f"one of {SCENARIOS}"),
    # territory
    case("territory.area=mars", "territory.area", "'mars' is not allowed",
         "one of the study areas ['metro', 'overseas', 'all']"),
    case("territory.departements=[]", "territory.departements", "[] is not allowed",
         "null or a non-empty list of département codes, e.g. ['12', '48']"),
    case("territory.departements=[1.5]", "territory.departements", "[1.5] is not allowed",
         "null or a non-empty list of département codes, e.g. ['12', '48']",
         id="a département code that is not a code"),
    case("territory.groups=5", "territory.groups", "5 is not allowed",
         "a table of group name: list of EPCI codes", id="groups not a table"),
    case("territory.priors.household_size.ME=7", "territory.priors.household_size.ME",
         "7 is not allowed", "a number in [1.0, 6.0]"),
    case("+territory.priors.household_size.XX=2", "territory.priors.household_size.XX",
         "unknown key 'XX'", f"the EPCI kinds {KINDS}"),
    case("territory.priors.secondary.max=0.95", "territory.priors.share_vacant.ME",
         "0.08 is not allowed", "less than 1 − max(secondary.base.ME, secondary.max) (0.05): "
         "main residences, vacant and secondary homes share the stock",
         id="secondary homes + vacant ≥ 1"),
    case("territory.priors.price.max=500", "territory.priors.price.max",
         "500.0 is not allowed", "a price at least min (800.0)", id="price.max < price.min"),
    case("territory.priors.price.min=-1", "territory.priors.price.min", "-1 is not allowed",
         "a number > 0.0"),
    case("territory.priors.services.log10_pop_max=3", "territory.priors.services.log10_pop_max",
         "3.0 is not allowed", "more than log10_pop_min (3.5)"),
    case("territory.priors.amenities.lat_north=40", "territory.priors.amenities.lat_north",
         "40.0 is not allowed", "a latitude north of lat_south (42.3)"),
    case("territory.priors.job_access.road_factor=0.5",
         "territory.priors.job_access.road_factor", "0.5 is not allowed",
         "a number in [1.0, 5.0]"),
    case("territory.groups.petr_haut_rouergue=5", "territory.groups.petr_haut_rouergue",
         "5 is not allowed", "a list"),
    # model.profiles and model.workers
    case("model.profiles=[]", "model.profiles", "[] is not allowed",
         "a non-empty list of distinct profile names (letters, digits, _)"),
    case("model.profiles=[a,a]", "model.profiles", "['a', 'a'] is not allowed",
         "a non-empty list of distinct profile names (letters, digits, _)"),
    case("model.profiles=[manager]", "model.workers[1]", "'hybrid' is not allowed",
         "one of the profiles ['manager']", id="workers not among the profiles"),
    case("model.workers=[manager,ghost]", "model.workers[1]", "'ghost' is not allowed",
         f"one of the profiles {PROFILES}"),
    case("model.workers=[retiree]", "scenario.telework[0].share.manager",
         "unknown key 'manager'", "the working profiles ['retiree']",
         id="telework tables follow the workers"),
    # model.households
    case("model.households.income_sigma=4", "model.households.income_sigma",
         "4 is not allowed", "a number in [0.0, 3.0]"),
    case("model.households.owner_share.manager=1.2", "model.households.owner_share.manager",
         "1.2 is not allowed", "a number in [0.0, 1.0]"),
    case("model.households.housing_factor.stable=0", "model.households.housing_factor.stable",
         "0 is not allowed", "a number in (0.0, 10.0]"),
    case("model.households.shares.manager.ME=0.5", "model.households.shares.*.ME",
         "1.06 is not allowed", "shares of one EPCI kind summing to at most 1 (the rest is "
         "'stable')", id="shares of ME summing > 1"),
    case("model.households.rest=ghost", "model.households.rest", "'ghost' is not allowed",
         f"one of the profiles {PROFILES}"),
    case("model.households.rest=manager", "model.households.shares.manager",
         "unknown key 'manager'", "the profiles but the rest ('manager'): "
         "['hybrid', 'neo_rural', 'retiree', 'precarious', 'stable']",
         id="the rest profile has no share"),
    case("~model.households.shares.manager", "model.households.shares.manager", "missing",
         "a share by EPCI kind for every profile but the rest: "
         "['manager', 'hybrid', 'neo_rural', 'retiree', 'precarious']"),
    # model.move
    case("model.move.annual_rate.under_30=1.5", "model.move.annual_rate.under_30",
         "1.5 is not allowed", "a number in [0.0, 1.0]"),
    case("model.move.annual_rate.retiree=0.1", "model.move.annual_rate.retiree",
         "unknown key 'retiree'", f"the keys {AGES}", id="the move rate is by age class"),
    case("model.move.profile_factor.retiree=-1", "model.move.profile_factor.retiree",
         "-1 is not allowed", "a number > 0.0"),
    case("model.move.tenure_factor.owner=0", "model.move.tenure_factor.owner",
         "0 is not allowed", "a number > 0.0"),
    case("model.move.displacement.profiles=[ghost]", "model.move.displacement.profiles[0]",
         "'ghost' is not allowed", f"one of the profiles {PROFILES}"),
    case("model.move.displacement.threshold=6", "model.move.displacement.threshold",
         "6 is not allowed", "a number in [0.0, 5.0]"),
    case("model.move.project_failure.becomes=stabel", "model.move.project_failure.becomes",
         "'stabel' is not allowed", f"one of the profiles {PROFILES}; did you mean 'stable'?"),
    case("model.move.project_failure.classes=[village]",
         "model.move.project_failure.classes[0]", "'village' is not allowed",
         f"one of the urban-hierarchy classes {CLASSES}"),
    case("model.move.project_failure.months=2.5", "model.move.project_failure.months",
         "2.5 is not allowed", "an integer in [0, 1200]"),
    # model.choice: coefficient signs fixed by theory, ranges, tables, sampling
    case("model.choice.distance.manager=0.5", "model.choice.distance.manager",
         "0.5 is not allowed", "a number ≤ 0.0"),
    case("model.choice.cost.stable=1", "model.choice.cost.stable", "1 is not allowed",
         "a number ≤ 0.0"),
    case("model.choice.commute.hybrid=0.01", "model.choice.commute.hybrid",
         "0.01 is not allowed", "a number ≤ 0.0"),
    case("model.choice.broadband.manager=-1", "model.choice.broadband.manager",
         "-1 is not allowed", "a number ≥ 0.0"),
    case("model.choice.size=2", "model.choice.size", "2 is not allowed",
         "a number in [0.0, 1.0]"),
    case("model.choice.kind.manager.ME=abc", "model.choice.kind.manager.ME",
         "'abc' is not allowed", "a number"),
    case("~model.choice.distance.manager", "model.choice.distance.manager", "missing",
         f"a value for every one of the profiles {PROFILES}"),
    case("model.choice.sampling.alternatives=0", "model.choice.sampling.alternatives",
         "0 is not allowed", "null or an integer in [1, 10000]"),
    case("model.choice.sampling.nearest=-1", "model.choice.sampling.nearest",
         "-1 is not allowed", "an integer in [0, 10000]"),
    # model.relocation
    case("model.relocation.max_commute_min=0", "model.relocation.max_commute_min",
         "0 is not allowed", "a number > 0.0"),
    case("model.relocation.work_where_they_live=[ghost]",
         "model.relocation.work_where_they_live[0]", "'ghost' is not allowed",
         f"one of the profiles {PROFILES}"),
    # model.market
    case("model.market.inertia=7", "model.market.inertia", "7 is not allowed",
         "a number in [0.0, 1.0]"),
    case("model.market.response=-1", "model.market.response", "-1 is not allowed",
         "a number in [0.0, 100.0]"),
    case("model.market.rent_pass_through=3", "model.market.rent_pass_through",
         "3 is not allowed", "a number in [0.0, 2.0]"),
    case("~model.market.inertia", "model.market.inertia", "missing", "a number in [0.0, 1.0]"),
    case("model.market=5", "model.market", "5 is not allowed",
         f"a section with the keys {MARKET}"),
    # model.construction
    case("model.construction.rate=2", "model.construction.rate", "2 is not allowed",
         "a number in [0.0, 1.0]"),
    case("model.construction.cost_m2=-5", "model.construction.cost_m2", "-5 is not allowed",
         "a number ≥ 0.0"),
    # model.equilibrium
    case("model.equilibrium.iterations=0", "model.equilibrium.iterations", "0 is not allowed",
         "an integer in [1, 100000]"),
    case("model.equilibrium.damping=0", "model.equilibrium.damping", "0 is not allowed",
         "a number in (0.0, 2.0]"),
    case("model.equilibrium.enabled=yes", "model.equilibrium.enabled", "'yes' is not allowed",
         "true or false"),
    case("+model.equilibrium.net_migration_per_year.99=5",
         "model.equilibrium.net_migration_per_year.99", "unknown key '99'",
         f"INSEE région codes {REGIONS}", id="unknown région code"),
    # scenario: telework periods
    case("scenario.name=''", "scenario.name", "'' is not allowed", "a non-empty string"),
    case("scenario.telework=[]", "scenario.telework", "[] is not allowed",
         "a non-empty list of telework periods"),
    case([COVID, "scenario.telework.2.from=2020-01"], "scenario.telework[2].from",
         "'2020-01' is not allowed", "a month after the previous period's (2020-03): "
         "periods in order", id="telework periods out of order"),
    case([COVID, "scenario.telework.2.from=2020-03"], "scenario.telework[2].from",
         "'2020-03' is not allowed", "a month after the previous period's (2020-03): "
         "periods in order", id="two telework periods starting the same month"),
    case([COVID, "scenario.telework.1.share.manager=1.5"], "scenario.telework[1].share.manager",
         "1.5 is not allowed", "a number in [0.0, 1.0]", id="telework share > 1"),
    case([COVID, "scenario.telework.1.days.manager=6"], "scenario.telework[1].days.manager",
         "6 is not allowed", "a number in [0.0, 5.0]"),
    case([COVID, "+scenario.telework.1.share.retiree=0.5"],
         "scenario.telework[1].share.retiree", "unknown key 'retiree'",
         f"the working profiles {WORKERS}", id="telework share of a non-worker"),
    case("~scenario.telework.0.share.stable", "scenario.telework[0].share.stable", "missing",
         f"a value for every one of the working profiles {WORKERS}"),
    # scenario: shocks
    case([COVID, "scenario.shocks.0.until=2020-01"], "scenario.shocks[0].until",
         "'2020-01' is not allowed", "a month at or after 'from' (2020-03)",
         id="shock until before from"),
    case([COVID, "+scenario.shocks.0.move_multiplier.village=2"],
         "scenario.shocks[0].move_multiplier.village", "unknown key 'village'",
         f"the urban-hierarchy classes {CLASSES}", id="shock on an unknown class"),
    case([COVID, "scenario.shocks.0.move_multiplier.paris=-1"],
         "scenario.shocks[0].move_multiplier.paris", "-1 is not allowed", "a number ≥ 0.0"),
    case([COVID, "scenario.shocks.0.profiles=[ghost]"], "scenario.shocks[0].profiles[0]",
         "'ghost' is not allowed", f"one of the profiles {PROFILES}"),
    case([COVID, "+scenario.shocks.0.preference.cost=2"], "scenario.shocks[0].preference.cost",
         "unknown key 'cost'", "the coefficients a shock may scale ['amenities', 'services']"),
    case("scenario.shocks=[5]", "scenario.shocks[0]", "5 is not allowed",
         "a section with the keys ['from', 'until', 'move_multiplier', 'profiles', "
         "'preference']"),
    # scenario: policies (options checked against the class named by _target_)
    case(_accueil("group:petr_haut_rouergue,bonus:1"), "scenario.policies[0].bonus",
         "unknown key 'bonus'", f"the keys {ACCUEIL}", id="policy: unknown option"),
    case(_accueil("group:petr_haut_rouergue,retention:high"), "scenario.policies[0].retention",
         "'high' is not allowed", "a number in [0.0, 1.0]",
         id="policy: option of the wrong type"),
    case(_accueil("group:petr_haut_rouergue,retention:1.7"), "scenario.policies[0].retention",
         "1.7 is not allowed", "a number in [0.0, 1.0]", id="policy: retention pushing out"),
    case("scenario=baseline,covid", "scenario", "'baseline,covid' is not allowed",
         f"one of {SCENARIOS} (a comma sweep needs --multirun)", id="sweep without --multirun"),
    case("model.equilibrium.net_migration_per_year.44=-1000",
         "model.equilibrium.net_migration_per_year.44", "new key '44'",
         "adding it with +model.equilibrium.net_migration_per_year.44=-1000",
         id="a new entry of a table needs +"),
    case(_accueil("group:petr_haut_rouerge"), "scenario.policies[0].group",
         "'petr_haut_rouerge' is not allowed", "one of the groups of territory.groups "
         "['petr_haut_rouergue']; did you mean 'petr_haut_rouergue'?",
         id="policy: unknown group"),
    case(_accueil("profiles:[ghost]"), "scenario.policies[0].profiles[0]",
         "'ghost' is not allowed", f"one of the profiles {PROFILES}",
         id="policy: unknown profile"),
    case(_accueil("kind:XX"), "scenario.policies[0].kind", "'XX' is not allowed",
         f"one of the EPCI kinds {KINDS}", id="policy: unknown kind"),
    case(_accueil("group:petr_haut_rouergue,from:2022-13"), "scenario.policies[0].from",
         "'2022-13' is not allowed", "a month written 'YYYY-MM'", id="policy: bad month"),
    case(_policy("_target_:migrasim.policies.ConstructionCap,dwellings_per_year:-1"),
         "scenario.policies[0].dwellings_per_year", "-1 is not allowed", "a number ≥ 0.0",
         id="policy: ConstructionCap option out of range"),
    case(_policy("_target_:migrasim.model.MigrationModel"), "scenario.policies[0]._target_",
         "'migrasim.model.MigrationModel' is not allowed", NOT_A_POLICY,
         id="policy: _target_ a class but not a Policy"),
    case(_policy("_target_:os.path.join"), "scenario.policies[0]._target_",
         "'os.path.join' is not allowed", NOT_A_POLICY, id="policy: _target_ a function"),
    case("scenario.policies=[5]", "scenario.policies[0]", "5 is not allowed",
         "a table of key: value", id="policy: not a table"),
]


@pytest.mark.parametrize(("overrides", "key", "problem", "allowed"), BAD_VALUES)
def test_a_bad_value_is_refused_in_one_line_naming_key_value_and_what_is_allowed(
        overrides, key, problem, allowed):
    err = refusal(overrides)
    message = str(err)
    assert err.key == key
    assert message.startswith(f"{key}: {problem}; allowed: "), message
    assert f"; allowed: {allowed}" in message, message


@pytest.mark.parametrize("name", scenario_params())
def test_the_shipped_scenarios_are_accepted(name):
    config = load([f"scenario={name}", *TINY])
    assert config.scenario.name == name and config.scale == 0.0005


def test_small_settings_are_accepted():
    ok = load(["territory.departements=[12,48]", "model.choice.sampling.alternatives=null",
               _policy("_target_:migrasim.policies.ConstructionCap,group:petr_haut_rouergue")])
    assert ok.territory.departements == ["12", "48"]  # numbers read by hydra become codes


# ---------------------------------------------------------------------- unknown keys
UNKNOWN_KEYS = [
    ("+model.market.respons=2", "model.market.respons", f"the keys {MARKET}", "response"),
    ("model.market.respons=2", "model.market.respons", f"the keys {MARKET}", "response"),
    ("territory.groups.petr_haut_rouerge=[1]", "territory.groups.petr_haut_rouerge",
     "the keys ['petr_haut_rouergue'] (a new key: +territory.groups.petr_haut_rouerge=...)",
     "petr_haut_rouergue"),
    ("+territory.prior=1", "territory.prior",
     "the keys ['area', 'departements', 'overrides', 'priors', 'groups', 'focus', "
     "'focus_scale']", "priors"),
    ("territory.priors.price.maxx=1", "territory.priors.price.maxx", "the keys ['base', ", "max"),
    ("+model.choice.distance.stabel=-1", "model.choice.distance.stabel",
     f"the profiles {PROFILES}", "stable"),
    ("+model.move.project_failur.rate=1", "model.move.project_failur",
     "the keys ['annual_rate', ", "project_failure"),
    ([COVID, "+scenario.shocks.0.untill=2020-01"], "scenario.shocks[0].untill",
     "the keys ['from', 'until', ", "until"),
    (_accueil("retension:0.5"), "scenario.policies[0].retension", f"the keys {ACCUEIL}",
     "retention"),
]


@pytest.mark.parametrize(("overrides", "key", "allowed", "closest"), UNKNOWN_KEYS)
def test_an_unknown_key_is_refused_with_the_closest_valid_key(overrides, key, allowed,
                                                              closest):
    overrides = [overrides] if isinstance(overrides, str) else overrides
    err = refusal(overrides)
    message = str(err)
    name = key.rsplit(".", 1)[-1]
    assert err.key == key
    assert message.startswith(f"{key}: unknown key '{name}'; allowed: {allowed}"), message
    assert message.endswith(f"; did you mean '{closest}'?"), message


@pytest.mark.parametrize(("overrides", "closest"), [
    ([COVID, "scenario.shocks.0.untill=2020-01"], "until"),
    (["model.choice.distance.stabel=-1"], "stable"),
])
def test_an_unknown_key_without_plus_is_answered_like_with_plus(overrides, closest):
    message = str(refusal(overrides))
    hint = re.search(r"\(a new key: (\S+)\)", message)
    assert hint is None or "[" not in hint.group(1), message  # hydra reads the hint
    assert message.endswith(f"; did you mean '{closest}'?"), message


def test_a_policy_ending_before_it_starts_is_refused():
    err = refusal([_accueil("group:petr_haut_rouergue,from:'2023-01',until:'2022-01'")])
    assert str(err).startswith("scenario.policies[0].until: '2022-01' is not allowed")


@pytest.fixture
def scenario_file():
    """A scenario file written for one test in the package's scenario folder."""
    path = CONFIG_DIR / "scenario" / "my_copy.yaml"
    yield path
    path.unlink(missing_ok=True)


def test_a_scenario_file_is_named_after_itself(scenario_file):
    scenario_file.write_text((CONFIG_DIR / "scenario" / "baseline.yaml").read_text())
    err = refusal(["scenario=my_copy"])  # a copy still named baseline: no silent mix-up
    assert str(err).startswith("scenario.name: 'baseline' is not allowed; allowed: "
                               "'my_copy', the name of its file")
    assert load(["scenario=my_copy", "scenario.name=my_copy"]).scenario.name == "my_copy"


def test_a_scenario_file_that_is_not_yaml_is_refused_in_one_line(scenario_file):
    scenario_file.write_text("name: my_copy\ntelework: [\n  - from")
    err = refusal(["scenario=my_copy"])
    assert err.key == "configs" and "my_copy.yaml" in str(err) and "valid YAML" in str(err)


# ------------------------------------------------------------------ profiles are data
def _rename(node, old: str, new: str):
    """``node`` with every key and string value ``old`` renamed ``new``."""
    if isinstance(node, dict):
        return {(new if k == old else k): _rename(v, old, new) for k, v in node.items()}
    if isinstance(node, list):
        return [_rename(v, old, new) for v in node]
    return new if node == old else node


def _drop(node, name: str):
    """``node`` without any key or list entry ``name``."""
    if isinstance(node, dict):
        return {k: _drop(v, name) for k, v in node.items() if k != name}
    if isinstance(node, list):
        return [_drop(v, name) for v in node if v != name]
    return node


def _names(node) -> set:
    """Every key and string value of ``node``."""
    if isinstance(node, dict):
        return set(node) | set().union(*map(_names, node.values()))
    if isinstance(node, list):
        return set().union(*map(_names, node))
    return {node} if isinstance(node, str) else set()


@pytest.fixture(scope="module")
def small_area() -> dict:
    """A plain config dict: covid in Aveyron and Lozère at 1:100 for six months."""
    return OmegaConf.to_container(compose(SMALL_AREA), resolve=True)


def test_a_profile_renamed_everywhere_is_accepted(small_area):
    renamed = _rename(small_area, "stable", "majority")
    assert "stable" not in _names(renamed) and "stable" in _names(small_area)
    m, s = renamed["model"], renamed["scenario"]
    assert m["profiles"][-1] == m["workers"][-1] == "majority"
    assert m["households"]["rest"] == m["move"]["project_failure"]["becomes"] == "majority"
    for table in (m["households"]["income_factor"], m["households"]["age_shares"],
                  m["move"]["profile_factor"], m["choice"]["distance"], m["choice"]["kind"],
                  m["relocation"]["new_project"]["profiles"],
                  m["demography"]["leaving_home_profiles"],
                  m["demography"]["abroad"]["profiles"],
                  *(p[k] for p in s["telework"] for k in ("share", "days"))):
        assert "majority" in table
    config = validate(renamed)
    assert config.model.profiles == ["manager", "hybrid", "neo_rural", "retiree",
                                     "precarious", "majority"]
    assert MigrationModel(config=renamed).profiles == config.model.profiles


@pytest.mark.parametrize(("old", "new", "roles"), [
    ("retiree", "pensioner", [("life", "retirement", "becomes")]),
    ("neo_rural", "rural_project", [("relocation", "new_project", "becomes"),
                                    ("move", "project_failure", "profiles"),
                                    ("relocation", "work_where_they_live")]),
])
def test_the_profiles_households_turn_into_can_be_renamed(small_area, old, new, roles):
    """Retirement makes retirees and a rural project neo-rurals: those roles follow the
    name, as every table by profile does."""
    renamed = _rename(small_area, old, new)
    assert old not in _names(renamed) and old in _names(small_area)
    m = renamed["model"]
    for path in roles:
        node = m
        for key in path:
            node = node[key]
        assert node == new or new in node, path
    for table in (m["households"]["age_shares"], m["move"]["profile_factor"],
                  m["demography"]["abroad"]["profiles"], m["choice"]["kind"]):
        assert new in table
    config = validate(renamed)
    expected = [new if p == old else p for p in small_area["model"]["profiles"]]
    assert config.model.profiles == expected
    assert MigrationModel(config=renamed).profiles == expected


@pytest.fixture(scope="module")
def small_run(small_area):
    return Simulation(config=small_area).run(progress=False)


@pytest.mark.parametrize(("old", "new"), [("stable", "majority"), ("retiree", "pensioner"),
                                          ("neo_rural", "rural_project")])
def test_a_renamed_profile_changes_nothing_but_its_name(small_area, small_run, old, new):
    original = small_run
    renamed = Simulation(config=_rename(small_area, old, new)).run(progress=False)
    assert f"households_{new}" in renamed.territories.columns
    expected = original.territories.rename(columns={f"households_{old}": f"households_{new}"})
    pd.testing.assert_frame_equal(renamed.territories, expected)
    assert (original.flows["profile"] == old).any()
    expected = original.flows.assign(profile=original.flows["profile"].replace({old: new}))
    pd.testing.assert_frame_equal(renamed.flows, expected)


def test_a_profile_can_be_dropped_but_not_while_a_role_names_it(small_area):
    dropped = _drop(small_area, "precarious")
    assert "precarious" not in _names(dropped)
    assert validate(dropped).model.profiles == ["manager", "hybrid", "neo_rural", "retiree",
                                                "stable"]
    dropped["model"]["move"]["displacement"]["profiles"] = ["precarious"]
    with pytest.raises(ConfigError) as info:
        validate(dropped)
    message = str(info.value)
    assert "\n" not in message
    assert message == ("model.move.displacement.profiles[0]: 'precarious' is not allowed; "
                       "allowed: one of the profiles ['manager', 'hybrid', 'neo_rural', "
                       "'retiree', 'stable']")


# ------------------------------------------------------------ errors at construction
@pytest.fixture
def no_work(monkeypatch):
    """Building a study area or a population fails: only checking may happen."""
    def work(*args, **kwargs):
        raise AssertionError("work started before the config was checked")

    monkeypatch.setattr(migrasim.experiments.simulation, "study_area", work)
    monkeypatch.setattr(migrasim.model, "study_area", work)
    monkeypatch.setattr(migrasim.model, "synthesize", work)


@pytest.mark.parametrize("bad", ["model.market.inertia=7", "+model.market.respons=2",
                                 _accueil("group:nowhere"), "scenario=nope"])
@pytest.mark.parametrize("make", [Simulation, MigrationModel])
def test_a_bad_override_is_refused_at_construction_before_any_work(no_work, make, bad):
    with pytest.raises(ConfigError) as info:
        make(overrides=[bad])
    assert "\n" not in str(info.value)


def test_seed_and_rng_are_one_setting(no_work):
    with pytest.raises(ConfigError, match=r"^rng: 2 is not allowed; allowed: the same value "
                                          r"as seed \(1\), or only one$"):
        MigrationModel(seed=1, rng=2)


def test_rng_is_mesas_name_for_seed():
    by_rng = MigrationModel(rng=3, scale=0.0005, months=1)
    by_seed = MigrationModel(seed=3, scale=0.0005, months=1)
    assert by_rng.seed == by_seed.seed == by_rng.config.seed == 3
    assert by_rng.config == by_seed.config
    np.testing.assert_array_equal(by_rng.households.home, by_seed.households.home)
    np.testing.assert_array_equal(by_rng.households.profile, by_seed.households.profile)
    assert by_rng.rng.random() == by_seed.rng.random()  # Mesa's own generator too


# ------------------------------------------------------------------------ sweeps
def test_a_sweep_is_checked_job_by_job_before_it_starts():
    assert jobs(["--multirun", "scenario=baseline,covid", "scale=0.0005,2", "months=1"]) == [
        ["scenario=baseline", "scale=0.0005", "months=1"],
        ["scenario=baseline", "scale=2", "months=1"],
        ["scenario=covid", "scale=0.0005", "months=1"],
        ["scenario=covid", "scale=2", "months=1"]]
    with pytest.raises(ConfigError, match=r"^scale: 2 is not allowed; allowed: a number in "
                                          r"\(0\.0, 1\.0\]$"):
        preflight(["--multirun", "scenario=baseline,covid", "scale=0.0005,2", "months=1"])
    assert preflight(["--multirun", "scenario=baseline,covid", *TINY]) == 2


def test_a_sweep_with_one_bad_job_runs_no_job(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "migrasim", "--multirun", "seed=1,2", "scale=0.0005", "months=1",
         "progress=false", "compare_to=null", "figures=false", "model.market.inertia=0.5,7",
         f"hydra.sweep.dir={tmp_path}"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("migrasim: model.market.inertia: 7 is not allowed; allowed: ")
    assert "Traceback" not in out.stderr + out.stdout
    assert not list(tmp_path.rglob("manifest.json"))


# ------------------------------------------------------------------ saved results
@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A tiny run with its baseline comparison, and the directory it is saved in."""
    res = Simulation(scale=0.0005, months=2, seed=5).run(progress=False)
    directory = tmp_path_factory.mktemp("run")
    res.save(directory, figures=False)
    return res, directory


def test_a_saved_run_reopens_with_its_tables_summary_and_baseline(saved):
    res, directory = saved
    back = Results.load(directory)
    pd.testing.assert_frame_equal(back.territories, res.territories)
    pd.testing.assert_frame_equal(back.flows, res.flows)
    pd.testing.assert_frame_equal(back.destabilisation, res.destabilisation)
    assert back.summary == res.summary
    assert back.config == res.config
    assert back.baseline is not None and back.baseline.config.scenario.name == "baseline"
    pd.testing.assert_frame_equal(back.baseline.territories, res.baseline.territories)
    pd.testing.assert_frame_equal(back.baseline.flows, res.baseline.flows)
    text = repr(back)
    assert "\n" not in text and len(text) < 200
    assert "'remote50'" in text and "vs 'baseline'" in text and "seed 5" in text
    assert text == repr(res)


def test_a_directory_without_manifest_is_not_a_run(saved, tmp_path):
    with pytest.raises(FileNotFoundError, match="manifest.json"):
        Results.load(tmp_path)
    _, directory = saved
    for name in ("config.yaml", "territories.parquet", "flows.parquet", "summary.json"):
        (tmp_path / name).write_bytes((directory / name).read_bytes())
    with pytest.raises(FileNotFoundError, match="no manifest.json"):
        Results.load(tmp_path)
