"""Specification of the territory layer: the shipped EPCI table, its priors, user data."""

import numpy as np
import pandas as pd
import pytest

from migrasim import plot_map
from migrasim import territories as T
from migrasim.territories.geo import haversine_km

PARIS, LYON = (48.8566, 2.3522), (45.7640, 4.8357)
GRAND_PARIS, METROPOLE_DE_LYON = "200054781", "200046977"


@pytest.fixture(scope="module")
def metro():
    return T.load()


def test_metropolitan_france_has_its_1232_epci_and_66_to_69_million_people(metro):
    assert len(metro) == 1232
    assert 66e6 <= metro.df["population"].sum() <= 69e6
    assert metro.df["kind"].value_counts().to_dict() == {"CC": 982, "CA": 214, "ME": 22,
                                                          "CU": 14}


def test_overseas_epci_are_available_by_option():
    assert len(T.load(area="all")) == 1255
    overseas = T.load(area="overseas")
    assert len(overseas) == 23 and set(overseas.df["zone"]) == {"drom"}


def test_every_centroid_lies_in_metropolitan_france(metro):
    df = metro.df
    assert df["lat"].between(41.3, 51.1).all() and df["lon"].between(-5.2, 9.6).all()
    assert df["centroid_quality"].between(0, 1).all() and (df["centroid_quality"] > 0).all()


def test_paris_and_lyon_metropoles_sit_on_their_cities(metro):
    for code, (lat, lon) in ((GRAND_PARIS, PARIS), (METROPOLE_DE_LYON, LYON)):
        row = metro.df.loc[code]
        assert haversine_km(row["lat"], row["lon"], lat, lon) < 5


def test_all_22_metropoles_are_present_and_classed(metro):
    me = metro.df[metro.df["kind"] == "ME"]
    assert len(me) == 22
    assert (me["dist_metropole_km"] == 0).all()
    assert metro.df.loc[GRAND_PARIS, "hierarchy"] == "paris"
    assert set(me.drop(GRAND_PARIS)["hierarchy"]) == {"metropole"}
    assert set(metro.df["hierarchy"]) == {"paris", "metropole", "large_urban", "medium",
                                          "small_rural"}


def test_commune_membership_covers_the_epci_populations(metro):
    communes = metro.communes
    assert communes["code"].is_unique
    by_epci = communes.groupby("epci")["population"].sum()
    assert (by_epci.reindex(metro.df.index) == metro.df["population"]).all()
    matched = communes["lat"].notna()
    assert communes.loc[matched, "population"].sum() / communes["population"].sum() > 0.88


def test_priors_stay_in_their_documented_ranges(metro):
    df = metro.df
    for col, (lo, hi) in T.priors.RANGES.items():
        assert df[col].between(lo, hi).all(), col
    assert df.loc[GRAND_PARIS, "price_m2"] == df["price_m2"].max()  # levels: test_priors.py
    stock = df[["main_residences", "vacant", "secondary"]].sum() / df["dwellings"].sum()
    assert stock["main_residences"] == pytest.approx(0.82, abs=0.02)
    assert stock["vacant"] == pytest.approx(0.08, abs=0.01)
    assert stock["secondary"] == pytest.approx(0.10, abs=0.015)
    assert np.allclose(df[["main_residences", "vacant", "secondary"]].sum(axis=1),
                       df["dwellings"])


def test_rural_ccs_have_more_vacancy_and_second_homes_than_metropoles(metro):
    df = metro.df
    share = (df["vacant"] + df["secondary"]) / df["dwellings"]
    assert share[df["kind"] == "CC"].mean() > share[df["kind"] == "ME"].mean()


def test_selection_helpers(metro):
    petr = metro.select(group="petr_haut_rouergue")
    assert len(petr) == 3 and set(metro.df.iloc[petr]["departement"]) == {"12"}
    assert len(metro.select(kind="ME")) == 22
    found = metro.select(name="métropole du grand paris")
    assert metro.df.iloc[found].index.tolist() == [GRAND_PARIS]
    assert set(metro.df.iloc[metro.select(departement="12")]["departement"]) == {"12"}
    assert len(metro.select(region="11", kind="ME")) == 1
    with pytest.raises(KeyError, match="unknown"):
        metro.select(group="nowhere")
    sub = metro.subset(metro.select(region="76"))
    assert len(sub) == len(metro.select(region="76"))
    assert set(sub.communes["epci"]) == set(sub.df.index)


def test_overrides_by_epci_apply_exactly(tmp_path):
    path = tmp_path / "dvf.csv"
    pd.DataFrame({"epci": [GRAND_PARIS, METROPOLE_DE_LYON], "price_m2": [10500.0, 5100.0]}
                 ).to_csv(path, index=False)
    t = T.load(overrides=path)
    base = T.load()
    assert t.df.loc[GRAND_PARIS, "price_m2"] == 10500.0
    assert t.df.loc[METROPOLE_DE_LYON, "price_m2"] == 5100.0
    untouched = t.df.index.difference([GRAND_PARIS, METROPOLE_DE_LYON])
    pd.testing.assert_series_equal(t.df.loc[untouched, "price_m2"],
                                   base.df.loc[untouched, "price_m2"])


def test_overriding_population_rederives_the_housing_priors(tmp_path):
    path = tmp_path / "pop.parquet"
    pd.DataFrame({"epci": [GRAND_PARIS], "population": [8_000_000]}).to_parquet(path)
    t = T.load(overrides=path)
    assert t.df.loc[GRAND_PARIS, "households"] == pytest.approx(8e6 / 2.0)


def test_commune_overrides_are_aggregated_to_their_epci(metro):
    members = metro.communes[metro.communes["epci"] == METROPOLE_DE_LYON]
    table = pd.DataFrame({"commune": members["code"], "vacant": 10.0, "price_m2": 5000.0})
    t = T.load(overrides=table)
    assert t.df.loc[METROPOLE_DE_LYON, "vacant"] == 10.0 * len(members)
    assert t.df.loc[METROPOLE_DE_LYON, "price_m2"] == pytest.approx(5000.0)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ({"epci": ["999999999"], "price_m2": [1.0]},
         r"row 1, column 'epci': code '999999999' is not a known epci code"),
        ({"epci": [GRAND_PARIS, GRAND_PARIS], "price_m2": [1.0, 2.0]},
         r"row 2, column 'epci': duplicate code '200054781'"),
        ({"code": [GRAND_PARIS], "price_m2": [1.0]}, r"missing key column"),
        ({"epci": [GRAND_PARIS], "price_m2": ["cher"]},
         r"row 1 \(epci 200054781\), column 'price_m2': value 'cher' is not numeric"),
        ({"epci": [GRAND_PARIS], "vacant": [-3.0]},
         r"row 1 \(epci 200054781\), column 'vacant': value -3.0 is negative"),
        ({"epci": [GRAND_PARIS], "broadband": [1.5]},
         r"row 1 \(epci 200054781\), column 'broadband': value 1.5 is out of range; "
         r"allowed: a number in \[0.0, 1.0\]"),
        ({"epci": [GRAND_PARIS, METROPOLE_DE_LYON], "price_m2": [9000.0, None]},
         r"row 2 \(epci 200046977\), column 'price_m2': value is missing \(NaN\)"),
        ({"commune": ["99999"], "price_m2": [1.0]}, r"code '99999' is not a known commune"),
        ({"commune": ["69123"], "vacant": [1.0]}, r"EPCI 200046977 has 1 of its"),
        ({"epci": [GRAND_PARIS], "kind": ["CC"]}, r"column 'kind' is an identity column"),
        ({"epci": [METROPOLE_DE_LYON, GRAND_PARIS], "income_month": [2000.0, 0.0]},
         r"row 2 \(epci 200054781\), column 'income_month': value 0.0 is zero; "
         r"allowed: a finite number in \(0.0, inf\)$"),
        ({"epci": [GRAND_PARIS], "rent_month": [-1.0]},
         r"row 1 \(epci 200054781\), column 'rent_month': value -1.0 is negative"),
        ({"epci": [GRAND_PARIS], "price_m2": ["inf"]},
         r"row 1 \(epci 200054781\), column 'price_m2': value inf is infinite"),
        ({"epci": [GRAND_PARIS], "vacant": [float("inf")]},
         r"row 1 \(epci 200054781\), column 'vacant': value inf is infinite; allowed: a "
         r"finite number in \[0.0, inf\)"),
    ],
)
def test_bad_overrides_fail_naming_file_row_column_and_value(tmp_path, rows, message):
    path = tmp_path / "bad.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    with pytest.raises(T.TerritoryDataError, match=message) as err:
        T.load(overrides=path)
    assert str(path) in str(err.value)


def test_unknown_area_is_refused():
    with pytest.raises(T.TerritoryDataError, match="territory.area: 'mars'"):
        T.load(area="mars")


def test_map_helper_draws_every_epci(metro):
    ax = plot_map(metro, "price_m2", title="prices")
    assert len(ax.collections[0].get_offsets()) == len(metro)
