"""Specification of the geography in the territory priors: second homes on coasts and in
the mountains, prices set against named places, amenities from sea, climate and
relief, cross-border job markets in the population and the model."""

import numpy as np
import pandas as pd
import pytest

from migrasim import territories as T
from migrasim.model import MigrationModel
from migrasim.territories.data import anchors

GRAND_PARIS = "200054781"
PAYS_DE_GEX, GENEVOIS, ANNEMASSE = "240100750", "247400690", "200011773"
CATTENOM = "245700695"  # CC de Cattenom et Environs, on the Luxembourg border


@pytest.fixture(scope="module")
def metro():
    return T.load()


def _share(df, mask):
    g = df[mask]
    return g["secondary"].sum() / g["dwellings"].sum()


def test_second_homes_concentrate_on_coasts_and_in_the_mountains_as_insee_counts_them(metro):
    """INSEE Première n° 1871 (2017): 1 dwelling in 10 is a second home, ≈ 18 % of the
    stock in coastal EPCI, 1 in 3 in EPCI above 750 m."""
    df = metro.df
    assert _share(df, df["kind"].notna()) == pytest.approx(0.10, abs=0.01)
    assert _share(df, df["coastal"] == 1) == pytest.approx(0.18, abs=0.02)
    assert _share(df, df["altitude_m"] > 750) == pytest.approx(1 / 3, abs=0.04)
    inland_lowland = (df["coastal"] == 0) & (df["altitude_m"] < 300)
    assert _share(df, inland_lowland) < 0.08


def test_the_price_prior_is_within_its_documented_error_of_the_named_places():
    """46 public price levels outside 2020-2021 (territories/data/price_anchors.csv):
    the prior's RMS log error is the one the config quotes, and the configured curve is
    the fit's own output (refitting changes nothing)."""
    c = anchors.compare()
    assert len(c) == 46 and not set(c["year"]) & {2020, 2021}
    assert np.sqrt((c["log_error"] ** 2).mean()) < 0.40
    paris = c[c["place"] == "Paris"].iloc[0]
    assert abs(paris["log_error"]) < 0.15
    price = T.default_config()["priors"]["price"]
    fitted = anchors.fit()
    assert fitted["base"] == pytest.approx(price["base"], abs=10)
    for key in anchors.FITTED:
        assert fitted[key] == pytest.approx(price[key], abs=2e-3), key


def test_coasts_and_borders_carry_their_premiums(metro):
    """The coastal premium and the cross-border income: same kind and size class, the
    coastal or border EPCI is dearer; and Pays de Gex is about twice the rest of Ain
    (notaires de l'Ain, 2019: 3,920 against 1,960 €/m²)."""
    df = metro.df
    cc = df[(df["kind"] == "CC") & df["population"].between(10_000, 30_000)
            & (df["cross_border_share"] < 0.01)]
    assert (cc.loc[cc["coast_share"] > 0.5, "price_m2"].median()
            > 1.3 * cc.loc[cc["dist_sea_km"] > 50, "price_m2"].median())
    ain = df[(df["departement"] == "01") & (df.index != PAYS_DE_GEX)]
    rest = np.average(ain["price_m2"], weights=ain["population"])
    assert 1.4 < df.loc[PAYS_DE_GEX, "price_m2"] / rest < 2.5


def test_amenities_come_from_sea_climate_and_relief_not_from_being_small(metro):
    df = metro.df
    w = T.default_config()["priors"]["amenities"]["weights"]
    rebuilt = w["sea"] * df["sea"] + w["climate"] * df["climate"] + w["relief"] * df["relief"]
    assert np.allclose(df["amenities"], rebuilt.clip(0, 1))
    small_inland_north = df[(df["population"] < 10_000) & (df["dist_sea_km"] > 100)
                            & (df["lat"] > 48.5) & (df["altitude_m"] < 300)]
    riviera = df[(df["mediterranean_share"] > 0.5) & (df["coast_share"] > 0.5)]
    assert len(small_inland_north) > 20 and len(riviera) > 10
    assert small_inland_north["amenities"].max() < riviera["amenities"].min()


def test_genevois_epci_have_geneva_within_40_minutes(metro):
    for code in (PAYS_DE_GEX, GENEVOIS, ANNEMASSE):
        row = metro.df.loc[code]
        assert row["border_pole"] == "Geneva" and row["border_min"] <= 40
        assert row["job_access"] >= np.exp(-40 / 45)


def test_cross_border_commuters_add_up_to_each_countrys_observed_total(metro):
    """Each destination country receives the French residents INSEE counts working there
    (2018), from metropolitan territories only, and no territory sends more than the
    cap; interior France sends no one."""
    c = T.default_config()["priors"]["cross_border"]
    workers = metro.array("population") * c["employment_rate"]
    sent = pd.Series(workers @ metro.border, index=metro.border_poles["country"])
    sent = sent.rename(lambda k: c["counted_with"].get(k, k)).groupby(level=0).sum()
    for country, total in c["commuters"].items():
        assert sent[country] == pytest.approx(total, rel=1e-6), country
    share = metro.df["cross_border_share"]
    assert share.max() <= c["max_share"] + 1e-9
    assert share[metro.df["departement"].isin(["23", "15", "45", "87"])].max() < 1e-3
    geneva = metro.border_poles["name"].tolist().index("Geneva")
    assert 0.45 < workers @ metro.border[:, geneva] / c["commuters"]["CH"] < 0.7  # 2011: 55 %


def test_a_users_cross_border_share_replaces_the_prior_and_keeps_its_split(tmp_path):
    path = tmp_path / "o.csv"
    pd.DataFrame({"epci": [PAYS_DE_GEX, CATTENOM], "cross_border_share": [0.2, 0.0]}).to_csv(
        path, index=False)
    t = T.load(overrides=path)
    row = t.df.index.get_loc(PAYS_DE_GEX)
    assert t.border[row].sum() == pytest.approx(0.2)
    base = T.load()
    assert np.allclose(t.border[row] / 0.2, base.border[row] / base.border[row].sum())
    assert t.border[t.df.index.get_loc(CATTENOM)].sum() == 0.0


@pytest.fixture(scope="module")
def border_model():
    return MigrationModel("baseline", scale=0.01, months=2, rng=3, collect=False,
                          overrides=['territory.departements=["01","74"]'])


def test_border_workers_hold_jobs_across_the_border_and_earn_its_premium(border_model):
    """Synthesis: in the Pays de Gex, the prior's share of workers hold a job at a pole
    across the border (job site n + k), and they earn about the Swiss income ratio
    against their neighbours working in France."""
    m = border_model
    t, hh, n = m.territories, m.households, len(m.territories)
    gex = t.df.index.get_loc(PAYS_DE_GEX)
    here = (hh.home == gex) & (hh.job >= 0)
    abroad = here & (hh.job >= n)
    assert abroad.sum() / here.sum() == pytest.approx(t.df.loc[PAYS_DE_GEX, "cross_border_share"],
                                                      abs=0.05)
    poles = t.border_poles["name"].to_numpy()[hh.job[abroad] - n]
    assert (poles == "Geneva").mean() > 0.8
    ratio = np.median(hh.income[abroad]) / np.median(hh.income[here & ~abroad])
    assert 1.5 < ratio < 2.8


def test_a_job_across_the_border_enters_the_commute_term_like_any_job(border_model):
    """The commute term reads the minutes to the job site: a Geneva worker's choice
    favours the Genevois over the far end of Ain, more than a worker of Bourg does."""
    from migrasim.kernels import choice as kernels
    m = border_model
    t, n = m.territories, len(m.territories)
    geneva = n + t.border_poles["name"].tolist().index("Geneva")
    bourg = t.df.index.get_loc("200071751")  # CA du Bassin de Bourg-en-Bresse
    gex = t.df.index.get_loc(PAYS_DE_GEX)
    tables = m.submodels.choice.lookup(m, m.submodels.choice.territory_terms(m))
    seg = 0  # manager, under 30

    def odds(job):
        p = kernels.probabilities(tables, seg, bourg, job, 0.0, 1 / 3000.0)
        return p[gex] / p[bourg]
    assert odds(geneva) > 20 * odds(bourg)
    assert m.submodels.choice.commute_min[gex, geneva] < 40
