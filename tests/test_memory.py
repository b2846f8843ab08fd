"""The peak memory of a run is estimated before anything is allocated, and a run that
would not fit is refused in one line (experiments/memory.py)."""

import pytest

from migrasim import ConfigError, Simulation
from migrasim.config import load
from migrasim.experiments import memory
from migrasim.territories import study_area

GiB = 2**30


@pytest.fixture(scope="module")
def france():
    config = load(["scale=0.01"])
    return config, study_area(config.territory)


def test_the_estimate_grows_with_the_households_and_the_months(france):
    config, area = france
    small = memory.estimate(config, area)
    large = memory.estimate(config.model_copy(update={"scale": 0.1}), area)
    longer = memory.estimate(config.model_copy(update={"months": 192}), area)
    assert memory.FIXED < small < large and small < longer
    assert (large - small) == pytest.approx(memory.PER_HOUSEHOLD * 0.09 * 30.98e6 * 1.184,
                                            rel=0.01)


def test_the_estimate_of_a_whole_country_run_at_one_to_one_is_the_readme_figure(france):
    config, area = france
    assert 1.0 * GiB < memory.estimate(config.model_copy(update={"scale": 1.0}), area) \
        < 6 * GiB


def test_a_run_that_does_not_fit_is_refused_before_any_work(monkeypatch):
    monkeypatch.setattr(memory, "available", lambda: (100 * 2**20, "left under the cgroup "
                                                                   "limit"))
    with pytest.raises(ConfigError) as err:
        Simulation(scale=0.01, months=12)
    assert str(err.value).startswith("memory_check: the run needs about ")
    assert str(err.value).endswith(" at its peak (scale 0.01, 1,232 EPCI), 0.1 GiB left "
                                   "under the cgroup limit; allowed: a smaller scale or study "
                                   "area, or memory_check=false to run anyway")
    assert Simulation(scale=0.01, months=12, overrides=["memory_check=false"]).config \
        .memory_check is False


def test_a_cgroup_limit_lower_than_the_free_memory_is_what_is_available(monkeypatch,
                                                                        tmp_path):
    monkeypatch.setattr(memory, "CGROUP", tmp_path)
    monkeypatch.setattr(memory, "_meminfo_available", lambda: (8 * GiB, "available"))
    assert memory.available() == (8 * GiB, "available")  # no cgroup files
    (tmp_path / "memory.max").write_text("max\n")
    (tmp_path / "memory.current").write_text("1000\n")
    assert memory.available() == (8 * GiB, "available")  # no limit
    (tmp_path / "memory.max").write_text(f"{2 * GiB}\n")
    (tmp_path / "memory.current").write_text(f"{GiB // 2}\n")
    assert memory.available() == (1.5 * GiB, "left under the cgroup limit")
