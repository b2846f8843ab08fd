"""Results in a notebook: a column by month over an area, two runs compared EPCI by EPCI
and year by year, a column on the map, and a run reopened from its directory."""

import numpy as np
import pandas as pd
import pytest

from migrasim import Results, Simulation
from migrasim.observation import maps

AREA = ["territory.departements=[12,48]", "progress=false"]


@pytest.fixture(scope="module")
def covid():
    return Simulation("covid", scale=0.01, months=18, overrides=AREA).run()


def test_plot_draws_a_column_over_the_chosen_epci_with_the_comparison_dashed(covid):
    fig = covid.plot("households", epci="petr_haut_rouergue")
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["covid", "baseline"]
    assert lines[1].get_linestyle() == "--"
    petr = covid.area.groups["petr_haut_rouergue"]
    t = covid.territories
    last = t[(t["month"] == t["month"].max()) & t["epci"].isin(petr)]["households"].sum()
    assert lines[0].get_ydata()[-1] == pytest.approx(last)
    one = covid.plot("price_m2", epci="200067171").axes[0].get_lines()[0].get_ydata()
    prices = t[t["epci"] == "200067171"]["price_m2"].to_numpy()
    np.testing.assert_allclose(one, prices)  # one EPCI: its own price
    with pytest.raises(ValueError, match="allowed: one of"):
        covid.plot("happiness")
    with pytest.raises(ValueError, match="petr_haut_rouergue"):
        covid.plot("price_m2", epci="atlantis")


def test_compare_pairs_two_runs_by_epci_and_year(covid):
    diff = covid.compare(covid.baseline)
    f = diff.frame
    assert {"epci", "year", "indicator", "value", "other", "difference"} <= set(f.columns)
    np.testing.assert_allclose(f["difference"], f["value"] - f["other"])
    assert (f.loc[f["year"] == 2019, "difference"] == 0).all()   # the shock starts in 2020
    households = f[(f["indicator"] == "households") & (f["year"] == 2020)]
    t = covid.territories
    end = t[t["month"] == t["month"].max()]
    assert households["value"].sum() == pytest.approx(end["households"].sum())
    assert diff.plot("price_m2", epci="petr_haut_rouergue").axes
    assert diff.map("net_migration").axes


def test_map_colours_each_epci_by_a_column_of_the_run(covid):
    ax = maps.map(covid, "price_m2")
    t = covid.territories
    last = t[t["month"] == t["month"].max()].set_index("epci")["price_m2"]
    colours = ax.collections[0].get_array()
    np.testing.assert_allclose(colours, last.reindex(covid.area.df.index).to_numpy())
    ax = covid.map("price_vs_baseline_pct")
    np.testing.assert_allclose(ax.collections[0].get_array(),
                               covid.destabilisation["price_vs_baseline_pct"].to_numpy())
    with pytest.raises(ValueError, match="allowed: one of"):
        covid.map("happiness")


def test_a_saved_run_reopens_with_its_comparison(covid, tmp_path):
    covid.save(tmp_path, figures=False)
    again = Results.load(tmp_path)
    pd.testing.assert_frame_equal(again.compare(again.baseline).frame,
                                  covid.compare(covid.baseline).frame)
