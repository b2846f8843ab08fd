"""A saved run is complete only with a valid manifest.json, written last; stale files of
an earlier run in the same directory are removed (experiments/manifest.py)."""

import hashlib
import json

import pytest

import migrasim
from migrasim import Results, Simulation
from migrasim.errors import IncompleteResultsError


@pytest.fixture(scope="module")
def run():
    return Simulation(scale=0.0005, months=2, seed=3).run(progress=False)


@pytest.fixture
def saved(run, tmp_path):
    run.save(tmp_path, figures=False)
    return tmp_path


def test_the_manifest_lists_every_file_with_its_size_and_checksum(saved):
    manifest = json.loads((saved / "manifest.json").read_text())
    assert manifest["migrasim"] == migrasim.__version__
    assert manifest["written"].endswith("+00:00")
    on_disk = {p.name for p in saved.iterdir()} - {"manifest.json"}
    assert set(manifest["files"]) == on_disk
    assert {"config.yaml", "summary.json", "territories.parquet",
            "baseline_territories.parquet"} <= on_disk
    for name, entry in manifest["files"].items():
        data = (saved / name).read_bytes()
        assert entry == {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def test_a_rerun_removes_the_earlier_runs_files_it_does_not_write(run, saved):
    (saved / "national.png").write_bytes(b"an earlier run's figure")
    listed = json.loads((saved / "manifest.json").read_text())
    listed["files"]["old_table.parquet"] = {"bytes": 1, "sha256": "0"}
    (saved / "manifest.json").write_text(json.dumps(listed))
    (saved / "old_table.parquet").write_bytes(b"x")
    (saved / "notes.txt").write_text("the user's own file, not a known output")
    run.baseline.save(saved, figures=False)  # no comparison run: no baseline_* tables
    names = {p.name for p in saved.iterdir()}
    assert "national.png" not in names and "old_table.parquet" not in names
    assert not any(n.startswith("baseline_") for n in names)
    assert "notes.txt" in names
    assert Results.load(saved).baseline is None


@pytest.mark.parametrize("damage, message", [
    (lambda d: (d / "manifest.json").unlink(), "no manifest.json; not a complete migrasim run"),
    (lambda d: (d / "manifest.json").write_text("{"), "manifest.json is unreadable"),
    (lambda d: (d / "flows.parquet").unlink(), "flows.parquet listed in manifest.json is missing"),
    (lambda d: (d / "summary.json").write_text("{}"),
     "summary.json has 2 bytes, manifest.json says"),
    (lambda d: (d / "config.yaml").write_bytes(bytes(b ^ 1 for b in (d / "config.yaml")
                                                     .read_bytes())),
     "config.yaml does not match its checksum in manifest.json"),
])
def test_a_directory_that_does_not_match_its_manifest_is_refused(saved, damage, message):
    damage(saved)
    with pytest.raises(IncompleteResultsError, match=message) as err:
        Results.load(saved)
    assert isinstance(err.value, FileNotFoundError)
    assert str(err.value).startswith(f"{saved}: ") and "\n" not in str(err.value)
