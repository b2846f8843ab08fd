"""``manifest.json``: the list of a saved run's files with their sizes and checksums,
written last. A directory is a finished run only if its manifest is there and every file
matches it, so a killed save, a file changed since, or an earlier run's leftovers are
never read as results."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterable
from importlib.metadata import version
from pathlib import Path

from migrasim.errors import IncompleteResultsError
from migrasim.experiments.files import atomic_write

NAME = "manifest.json"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def begin(directory: Path) -> set[str]:
    """Remove the manifest (the directory is unfinished until :func:`finish`) and return
    the files the earlier run listed in it, if any."""
    path = directory / NAME
    try:
        earlier = set(json.loads(path.read_text("utf-8"))["files"])
    except (OSError, ValueError, KeyError, TypeError):
        earlier = set()
    path.unlink(missing_ok=True)
    return earlier


def finish(directory: Path, written: Iterable[str], stale: Iterable[str] = ()) -> None:
    """Delete the ``stale`` files (an earlier run's, not rewritten by this save), then
    write the manifest of ``written`` (paths relative to ``directory``)."""
    written = sorted(set(written))
    for name in set(stale) - set(written):
        (directory / name).unlink(missing_ok=True)
    manifest = {"migrasim": version("migrasim"),
                "written": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                "files": {name: {"bytes": (directory / name).stat().st_size,
                                 "sha256": _sha256(directory / name)} for name in written}}
    atomic_write(directory / NAME, lambda p: Path(p).write_text(
        json.dumps(manifest, indent=2), encoding="utf-8"))


def check(directory: str | Path, what: str = "migrasim run") -> dict:
    """The manifest of ``directory`` once every file it lists is there with its size and
    checksum; else :class:`~migrasim.errors.IncompleteResultsError` naming the problem."""
    d = Path(directory)
    try:
        manifest = json.loads((d / NAME).read_text("utf-8"))
        files = manifest["files"]
        entries = [(name, int(f["bytes"]), str(f["sha256"])) for name, f in files.items()]
    except FileNotFoundError:
        raise IncompleteResultsError(d, f"no {NAME}; not a complete {what}") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise IncompleteResultsError(d, f"{NAME} is unreadable; not a complete {what}") \
            from None
    for name, size, sha in entries:
        path = d / name
        if not path.is_file():
            raise IncompleteResultsError(d, f"{name} listed in {NAME} is missing")
        if path.stat().st_size != size:
            raise IncompleteResultsError(
                d, f"{name} has {path.stat().st_size} bytes, {NAME} says {size}")
        if _sha256(path) != sha:
            raise IncompleteResultsError(d, f"{name} does not match its checksum in {NAME}")
    return manifest
