"""Calibration targets and their moments: each moment is the documented share, count or
change of the flows table, checked by hand on a tiny run; every target of
calibration/targets.yaml has a moment that a real run gives; a bad targets file is
refused in one line."""

import math
from types import SimpleNamespace

import pandas as pd
import pytest
import yaml

from migrasim import ConfigError, Simulation
from migrasim.calibration import moments, targets
from migrasim.calibration.moments import MOMENTS, CoverageError
from migrasim.experiments.results import Results

# A tiny area: code -> (département, région, class, population). O is overseas.
AREA = {
    "P": ("75", "11", "paris", 4000),
    "D": ("78", "11", "medium", 1000),
    "M": ("69", "84", "metropole", 2000),
    "L": ("69", "84", "large_urban", 1000),
    "R": ("69", "84", "small_rural", 800),
    "S": ("48", "76", "small_rural", 700),
    "O": ("974", "04", "small_rural", 500),
}
# (year, origin, destination, age class, persons); each year's moves sum to 100 persons.
FLOWS = [
    (2019, "P", "P", "under_30", 10),        # inside an EPCI; big to big
    (2019, "P", "D", "from_30_to_44", 20),   # inside IDF; to a smaller urban class
    (2019, "P", "M", "under_30", 30),        # leaves IDF; big to big; smaller urban class
    (2019, "M", "P", "from_45_to_59", 15),   # arrives in IDF; big to big
    (2019, "M", "R", "under_30", 5),         # same département; urban to rural
    (2019, "R", "L", "from_30_to_44", 10),   # same département; rural to urban
    (2019, "S", "S", "from_60_to_74", 3),    # inside an EPCI; rural
    (2019, "P", "O", "from_75", 7),          # overseas: not a departure to metropolitan France
    (2020, "P", "R", "under_30", 20),
    (2020, "M", "M", "from_30_to_44", 30),
    (2020, "R", "R", "from_45_to_59", 50),
    (2021, "P", "M", "under_30", 45),
    (2021, "P", "D", "from_30_to_44", 40),
    (2021, "M", "R", "from_45_to_59", 8),
    (2021, "R", "L", "under_30", 5),
    (2021, "D", "S", "from_30_to_44", 2),
]
# Each moment, computed by hand from the tables above (2019 and 2020 population 10,000;
# 2021 population 20,000).
EXPECTED = {
    "mobility_2019": 100 * 100 / 10_000,                    # 1 %
    "mobility_2021": 100 * 100 / 20_000,                    # 0.5 %
    "within_departement_share_2019": (10 + 5 + 10 + 3) / 100,
    "young_change_departement_2019": 30 / (10 + 30 + 5),
    "idf_departures_2019": 30.0,                            # P→D stays in IDF, P→O overseas
    "idf_arrivals_2019": 15.0,
    "within_epci_share_2019": (10 + 3) / 100,
    "rural_destination_share_2019": (5 + 3 + 7) / 100,
    "big_to_big_share_2019": (10 + 30 + 15) / 100,
    "idf_departures_change": (45 + 2) / 30 - 1,
    "to_smaller_urban_change": (45 + 40) / (20 + 30) - 1,
    "urban_to_rural_change": (8 + 2) / (5 + 7) - 1,
    "rural_to_urban_change": 5 / 10 - 1,
    "big_city_destination_share_2020": 30 / 100,
    "rural_destination_share_change": (20 + 50) / 100 - (5 + 3 + 7) / 100,
    "big_to_big_share_change": 30 / 100 - (10 + 30 + 15) / 100,
}


def tiny_results(months: int = 36) -> Results:
    df = pd.DataFrame.from_dict(AREA, orient="index",
                                columns=["departement", "region", "hierarchy", "population"])
    labels = [f"{2019 + m // 12}-{m % 12 + 1:02d}" for m in range(months)]
    territories = pd.DataFrame([
        {"month": month, "epci": code,
         "population": pop * (2 if month.startswith("2021") else 1)}
        for month in labels for code, (_, _, _, pop) in AREA.items()])
    flows = pd.DataFrame([
        {"year": y, "origin": o, "destination": d, "profile": "stable", "age_class": a,
         "reason": "housing_family", "households": p / 2, "persons": float(p)}
        for y, o, d, a, p in FLOWS if y < 2019 + months / 12])
    return Results(None, territories, flows, area=SimpleNamespace(df=df))


def test_every_moment_is_checked_by_hand():
    assert set(EXPECTED) == set(MOMENTS)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_moment_is_its_definition_computed_by_hand(name):
    assert MOMENTS[name](tiny_results()) == pytest.approx(EXPECTED[name], rel=1e-12)


def test_compute_gives_the_moments_asked_for_or_all():
    res = tiny_results()
    assert moments.compute(res) == pytest.approx(EXPECTED, rel=1e-12)
    assert list(moments.compute(res, ["within_epci_share_2019"])) == ["within_epci_share_2019"]
    with pytest.raises(KeyError, match="unknown"):
        moments.compute(res, ["no_such_moment"])


def test_moments_do_not_depend_on_the_scale_of_the_counts():
    """Flows and populations come weighted to real units: doubling both changes no share or
    rate, and doubles the counts."""
    res, big = tiny_results(), tiny_results()
    big.flows["persons"] *= 2
    big.territories["population"] *= 2
    a, b = moments.compute(res), moments.compute(big)
    for name in MOMENTS:
        factor = 2 if name.startswith("idf_") and name.endswith("_2019") else 1
        assert b[name] == pytest.approx(factor * a[name], rel=1e-12), name


def test_a_run_that_does_not_cover_a_year_is_refused_in_one_line():
    res = tiny_results(months=12)
    assert moments.compute(res, ["mobility_2019", "idf_departures_2019"])  # 2019 is there
    for name in ("mobility_2021", "idf_departures_change", "rural_destination_share_change"):
        with pytest.raises(CoverageError, match=r"needs the whole year 202[01]; the run "
                                                r"covers 2019-01\.\.2019-12$"):
            MOMENTS[name](res)
    with pytest.raises(CoverageError, match=r"^calibration moment mobility_2021: needs the "
                                            r"whole year 2021; the run covers 2019-01"):
        moments.compute(res)
    partial = tiny_results(months=30)  # 2021-01..2021-06 only
    with pytest.raises(CoverageError, match="whole year 2021"):
        MOMENTS["mobility_2021"](partial)


# --- the targets file -------------------------------------------------------------------

@pytest.fixture(scope="module")
def real_run():
    return Simulation("covid", scale=0.001, months=36, seed=1,
                      overrides=["progress=false"]).run(progress=False)


def test_every_target_has_a_moment_and_every_moment_a_target():
    names = [t.name for t in targets.load()]
    assert len(names) == len(set(names))
    assert set(names) == set(MOMENTS)


def test_every_target_is_finite_on_a_real_run(real_run):
    values = moments.compute(real_run, [t.name for t in targets.load()])
    assert all(math.isfinite(v) for v in values.values()), values


def test_only_changes_targets_rest_on_the_validation_years():
    """2020-2021 are kept for validation: only the 2019→2021 changes and pandemic-year
    facts of the domain brief (group `changes`) may use them."""
    for t in targets.load():
        assert t.group in ("levels", "changes")
        assert t.tolerance > 0 and math.isfinite(t.value)
        if t.group == "levels":
            assert not set(t.years) & {2020, 2021}, t.name


def _good() -> dict:
    return {"name": "within_epci_share_2019", "group": "levels", "value": 0.5,
            "tolerance": 0.1, "tolerance_why": "why", "unit": "share", "source": "src",
            "years": [2019], "definition": "def", "mapping": "map", "approximate": True}


@pytest.mark.parametrize(("change", "where", "said"), [
    (lambda t: t.pop("unit"), "within_epci_share_2019: unit", "missing"),
    (lambda t: t.update(weight=2), "within_epci_share_2019: weight", "unknown key"),
    (lambda t: t.update(tolerance=0), "within_epci_share_2019: tolerance", "0 is not allowed"),
    (lambda t: t.update(tolerance=-1.0), "within_epci_share_2019: tolerance", "not allowed"),
    (lambda t: t.update(group="pandemic"), "within_epci_share_2019: group", "'pandemic'"),
    (lambda t: t.update(name="no_moment_here"), "no_moment_here: name", "has no moment"),
    (lambda t: t.update(years=[2020]), "within_epci_share_2019: years", "not allowed"),
])
def test_a_bad_targets_file_is_refused_in_one_line(tmp_path, change, where, said):
    entry = _good()
    change(entry)
    path = tmp_path / "targets.yaml"
    path.write_text(yaml.safe_dump({"targets": [entry]}))
    with pytest.raises(ConfigError) as e:
        targets.load(path)
    message = str(e.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: {where}: ") and said in message


def test_a_duplicate_name_is_refused(tmp_path):
    path = tmp_path / "targets.yaml"
    path.write_text(yaml.safe_dump({"targets": [_good(), _good()]}))
    with pytest.raises(ConfigError, match=r": within_epci_share_2019: name: duplicate name;"):
        targets.load(path)


def test_a_good_file_loads_as_targets(tmp_path):
    path = tmp_path / "targets.yaml"
    path.write_text(yaml.safe_dump({"targets": [_good()]}))
    (t,) = targets.load(path)
    assert t == targets.Target(**{**_good(), "years": (2019,)})
    assert t.error(0.7) == pytest.approx(2.0)
