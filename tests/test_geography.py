"""Specification of the shipped geography: distance to the sea, terrain altitude, climate
zone, cross-border employment poles, and the byte-for-byte reproducibility of the build."""

import shutil
from pathlib import Path

import pandas as pd
import pytest

from migrasim.territories.data import build as B
from migrasim.territories.geo import haversine_km

SHIPPED = B.SHIPPED
CODES = {"code": str, "epci": str, "departement": str, "region": str}

# Metropolitan départements with no sea shore. Eure (27) is left out: its only shore is the
# Seine estuary, upstream of the Le Havre–Honfleur closing line.
LANDLOCKED = (
    "01 02 03 04 05 07 08 09 10 12 15 16 18 19 21 23 24 25 26 28 31 32 36 37 38 39 41 42 43 "
    "45 46 47 48 49 51 52 53 54 55 57 58 60 61 63 65 67 68 69 70 71 72 73 74 75 77 78 79 81 "
    "82 84 86 87 88 89 90 91 92 93 94 95").split()

BORDEAUX, NANTES, ROUEN = "243300316", "244400404", "200023414"
LA_ROCHELLE, NICE, BREST, PAYS_BASQUE = "241700434", "200030195", "242900314", "200067106"
CHAMONIX, GRAND_PARIS, AIX_MARSEILLE, LILLE = "200023372", "200054781", "200054807", "200093201"


@pytest.fixture(scope="module")
def epci():
    df = pd.read_csv(SHIPPED / "epci.csv", dtype=CODES).set_index("code")
    return df[df["zone"] == "metro"]


@pytest.fixture(scope="module")
def communes():
    return pd.read_csv(SHIPPED / "communes.csv", dtype=CODES, keep_default_na=False,
                       na_values={c: [""] for c in ("lat", "lon", "dist_sea_km", "altitude_m")})


def test_the_new_columns_follow_the_existing_ones_in_both_tables(epci, communes):
    assert list(communes.columns[-3:]) == ["dist_sea_km", "altitude_m", "koppen"]
    assert list(epci.columns[-6:]) == ["dist_sea_km", "coast_share", "coastal", "altitude_m",
                                       "mediterranean_share", "mountain_climate_share"]


def test_commune_geography_is_given_exactly_for_the_matched_communes(communes):
    matched = communes["lat"].notna()
    assert (communes["dist_sea_km"].notna() == matched).all()
    assert communes.loc[~matched, "altitude_m"].isna().all()
    assert (communes.loc[~matched, "koppen"] == "").all()
    metro = matched & (communes["departement"].str.len() == 2)
    assert communes.loc[metro, "altitude_m"].notna().all()
    assert (communes.loc[metro, "koppen"] != "").all()
    assert communes.loc[metro, "altitude_m"].between(0, 3000).all()


def test_the_coastal_departements_have_coastal_epci_and_the_landlocked_ones_none(epci,
                                                                                communes):
    coastal = epci[epci["coastal"] == 1]
    for dep in ("29", "17", "06"):  # Finistère, Charente-Maritime, Alpes-Maritimes
        assert (coastal["departement"] == dep).any(), dep
    assert "23" in LANDLOCKED and "15" in LANDLOCKED  # Creuse, Cantal
    assert not coastal["departement"].isin([*LANDLOCKED, "27"]).any()
    # nor does any commune of a landlocked département lie near the sea
    inland = communes[communes["departement"].isin(LANDLOCKED)]
    assert (inland["dist_sea_km"].dropna() > B.COAST_KM).all()
    assert set(communes["departement"]) >= set(LANDLOCKED)  # the list is of real codes


def test_the_estuary_cities_are_not_coastal_after_the_cut_but_the_seaside_ones_are(epci):
    for code in (BORDEAUX, NANTES, ROUEN):
        row = epci.loc[code]
        assert row["coastal"] == 0 and row["coast_share"] == 0 and row["dist_sea_km"] > 25, code
    for code in (LA_ROCHELLE, NICE, BREST, PAYS_BASQUE):
        assert epci.loc[code, "coastal"] == 1 and epci.loc[code, "coast_share"] > 0.3, code


def test_towns_on_the_sea_are_close_to_it_and_inland_towns_and_lakes_are_far(communes):
    d = communes.set_index("code")["dist_sea_km"]
    on_the_sea = {"13055": "Marseille", "06088": "Nice", "29019": "Brest",
                  "17300": "La Rochelle", "64122": "Biarritz", "2B033": "Bastia",
                  "2A004": "Ajaccio", "17306": "Royan", "44184": "Saint-Nazaire",
                  "76351": "Le Havre", "14333": "Honfleur"}
    for code, name in on_the_sea.items():
        assert d[code] < 3, name
    far = {"75056": ("Paris", 120), "69123": ("Lyon", 200), "63113": ("Clermont-Ferrand", 200),
           "67482": ("Strasbourg", 300), "74010": ("Annecy, on its lake", 200),
           "74119": ("Évian, on the Léman", 200), "33063": ("Bordeaux", 25),
           "44109": ("Nantes", 25), "76540": ("Rouen", 25)}
    for code, (name, km) in far.items():
        assert d[code] > km, name


def test_coastal_flag_and_share_are_consistent(epci):
    assert set(epci["coastal"]) == {0, 1}
    assert ((epci["coast_share"] > 0) == (epci["coastal"] == 1)).all()
    assert epci["coast_share"].between(0, 1).all()
    print(f"\ncoastal EPCI: {int(epci['coastal'].sum())}")
    assert 100 <= epci["coastal"].sum() <= 160


def test_about_a_tenth_of_the_population_lives_within_5_km_of_the_sea(communes):
    metro = communes[communes["lat"].notna() & (communes["departement"].str.len() == 2)]
    near = metro["dist_sea_km"] <= B.COAST_KM
    share = metro.loc[near, "population"].sum() / metro["population"].sum()
    print(f"\nmatched metropolitan population within {B.COAST_KM} km of the sea: {share:.3f}")
    assert 0.08 <= share <= 0.13


def test_altitude_marks_the_mountains(epci):
    assert epci.loc[CHAMONIX, "altitude_m"] > 1000
    assert epci.loc[GRAND_PARIS, "altitude_m"] < 150
    high = int((epci["altitude_m"] > 750).sum())
    print(f"\nEPCI above 750 m: {high}, above 1,500 m: {int((epci['altitude_m'] > 1500).sum())}")
    assert 50 <= high <= 150
    assert epci.loc[epci["altitude_m"] > 1500, "departement"].isin(
        ["04", "05", "06", "09", "38", "64", "65", "66", "73", "74", "2A", "2B"]).all()


def test_marseille_and_nice_are_mediterranean_brest_and_lille_are_not(epci):
    for code in (AIX_MARSEILLE, NICE):
        assert epci.loc[code, "mediterranean_share"] > 0.9, code
    for code in (BREST, LILLE):
        assert epci.loc[code, "mediterranean_share"] == 0, code
    assert epci.loc[CHAMONIX, "mountain_climate_share"] > 0.5
    assert epci.loc[GRAND_PARIS, "mountain_climate_share"] == 0


def test_the_border_poles_sit_where_they_should():
    poles = pd.read_csv(SHIPPED / "border_poles.csv", keep_default_na=False)
    assert list(poles.columns) == ["name", "country", "geonameid", "lat", "lon", "population"]
    assert len(poles) == len(B.BORDER_POLES) and poles["geonameid"].is_unique
    assert poles[["country", "name"]].equals(
        poles[["country", "name"]].sort_values(["country", "name"]).reset_index(drop=True))
    known = {"Geneva": (46.2044, 6.1432), "Luxembourg": (49.6116, 6.1319),
             "Basel": (47.5596, 7.5886), "Monaco": (43.7384, 7.4246)}
    at = poles.set_index("name")
    for name, (lat, lon) in known.items():
        assert haversine_km(at.loc[name, "lat"], at.loc[name, "lon"], lat, lon) < 5, name


def test_the_build_reproduces_every_shipped_file_byte_for_byte(tmp_path):
    """Reruns the whole territory build (communes, EPCI, geography, border poles) into a
    temporary directory and compares every shipped file with its output, byte for byte.

    Packages are cached in ``~/.cache/migrasim``: the first run downloads them with npm and
    pip, later runs take about ten seconds. Skipped only when ``npm`` is missing.
    """
    if shutil.which("npm") is None:
        pytest.skip("npm is not on PATH: the build fetches npm packages")
    report = B.build(Path.home() / ".cache" / "migrasim", tmp_path)
    for name in ("epci.csv", "communes.csv", "border_poles.csv"):
        assert (tmp_path / name).read_bytes() == (SHIPPED / name).read_bytes(), name
    assert report["town_dist_sea_km"]["Bordeaux"] > 25
