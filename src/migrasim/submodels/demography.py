"""Demography: households form and dissolve, and arrive from and leave for abroad.

Each month, by age class of the reference person:

* a household dissolves (death of its last member, a move into an institution or in with
  others) or leaves for abroad at a yearly rate; its dwelling becomes vacant;
* a household gives rise to a new one — a young adult leaving the parental home
  (a new household under 30 of a working profile drawn from the local shares) or a
  separation (a household of the same age class and profile) — at yearly rates;
* households arrive from abroad at a yearly number of persons, through a gateway drawn
  where immigrants are observed to settle (Île-de-France's share, then the other
  territories by population, métropoles weighted up).

New households are this month's movers (reasons FORMATION and ABROAD): they choose a
home from their origin (the parents' territory, the gateway) like any mover and exist
once they find a vacant dwelling; one that finds none does not form. A new household
weighs what the household it comes from weighs (docs/focus.md); one from abroad weighs
1. Ids of new households are appended in a fixed order (parents' ids, then arrivals),
and every draw is the household's own (by its key) and does not depend on who moves:
two scenarios of a seed share their households' events as long as the same households
exist in both (a formation served in one and not the other shifts later new ids:
docs/odd.md §8).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from migrasim import ages, rng
from migrasim.kernels import decision, demography, positions, telework
from migrasim.params import (
    NonNegative,
    Params,
    Probability,
    Profile,
    number,
    per_age,
    per_profile,
    table_array,
)
from migrasim.population.households import draw_ages, kind_shares
from migrasim.submodels.base import Result, Submodel
from migrasim.territories import read_shipped
from migrasim.territories.classification import IDF

if TYPE_CHECKING:
    from migrasim.model import MigrationModel


class Abroad(Params):
    """Arrivals from and departures to abroad."""

    arrivals_per_year: NonNegative          # persons
    departure_rate: per_age(Probability)    # yearly, by age class
    idf_share: Probability                  # of arrivals settling first in Île-de-France
    metropole_weight: number(0.0, 100.0)    # gateway weight of a métropole (ME) vs others
    profiles: per_profile(Probability)      # shares of arriving households by profile
    age_shares: per_age(Probability, partial=True)


class DemographyParams(Params):
    """``model.demography`` (configs/model/default.yaml)."""

    enabled: bool
    dissolution_rate: per_age(Probability)  # yearly
    leaving_home_rate: per_age(Probability)  # yearly, by age class of the parents' household
    leaving_home_profiles: list[Profile]     # profiles a young household can have
    separation_rate: per_age(Probability)   # yearly
    household_size_trend: number(-0.1, 0.1)  # yearly change of persons per household
    abroad: Abroad


class Demography(Submodel):
    """Households form, dissolve, arrive from abroad and leave for abroad."""

    name = "demography"
    title = "Demography"
    section = "model.demography"
    after = ("decision",)
    reads = ("decision", "telework", "economy")
    results = (Result("formed", "households", "new households that settled here (from "
                      "a parental home or a separation anywhere)"),
               Result("dissolved", "households", "households that dissolved here"),
               Result("from_abroad", "households", "households from abroad that settled here"),
               Result("to_abroad", "households", "households that left for abroad from here"))

    def init(self, model: MigrationModel) -> None:
        p, t, profiles = self.params, model.territories, model.profiles
        def per_age_class(table: dict) -> np.ndarray:
            return decision.monthly([table[a] for a in ages.AGE_CLASSES])

        self.rates = demography.Rates(
            dissolve=per_age_class(p.dissolution_rate),
            emigrate=per_age_class(p.abroad.departure_rate),
            leave_home=per_age_class(p.leaving_home_rate),
            separate=per_age_class(p.separation_rate), n_ages=ages.N_AGES)
        self.events = np.zeros(0, dtype=np.int8)
        self.eventful = np.empty(0, dtype=np.int64)  # households with an event this month
        hp = model.config.model.households
        shares = kind_shares(hp, profiles)
        shares[:, ~np.isin(profiles, p.leaving_home_profiles)] = 0.0
        self.young_shares = shares / shares.sum(axis=1, keepdims=True)  # by kind
        self.abroad_shares = table_array(p.abroad.profiles, profiles)
        self.abroad_shares = self.abroad_shares / self.abroad_shares.sum()
        gate, share = self.gateways(t.df, read_shipped()[0])
        self.gateway = np.cumsum(gate / gate.sum()) if gate.sum() > 0 else np.ones(len(t))
        size = t.array("household_size")
        mean_size = float(np.average(size, weights=t.df["households"].to_numpy(float)))
        # the study area receives its share of the national arrivals
        self.arrivals_per_month = (p.abroad.arrivals_per_year * share / mean_size
                                   * model.scale / 12.0)
        self.income_factor = table_array(hp.income_factor, profiles)
        self.workers = np.isin(profiles, model.config.model.workers)
        self.counts = {r.name: np.zeros(len(t)) for r in self.results}  # weight sums
        self.new = np.empty(0, dtype=np.int64)  # this month's would-be households

    def gateways(self, area: pd.DataFrame, france: pd.DataFrame) -> tuple[np.ndarray, float]:
        """Weight of each territory of ``area`` as a first home of arrivals from abroad, as
        shares of France's arrivals, and their sum (the area's share): Île-de-France takes
        ``idf_share``, the rest is shared by population, métropoles weighted up."""
        a = self.params.abroad

        def weights(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
            pop = df["population"].to_numpy(float)
            metro = np.where(df["kind"].to_numpy() == "ME", a.metropole_weight, 1.0)
            return pop * metro, (df["region"] == IDF).to_numpy()

        w, idf = weights(area)
        w_fr, idf_fr = weights(france)
        pop, pop_fr = area["population"].to_numpy(float), france["population"].to_numpy(float)
        gate = np.where(idf, a.idf_share * pop / pop_fr[idf_fr].sum(),
                        (1.0 - a.idf_share) * w / w_fr[~idf_fr].sum())
        return gate, float(gate.sum())

    def step(self, model: MigrationModel) -> None:
        for c in self.counts.values():
            c[:] = 0
        if not self.params.enabled:
            self.new = np.empty(0, dtype=np.int64)
            return
        self.leave(model)
        self.form(model)

    def leave(self, model: MigrationModel) -> None:
        """Dissolutions and departures abroad, and the households that give rise to a new
        one. A household that dissolves or emigrates does not make this month's move."""
        hh, stock, d = model.households, model.stock, model.submodels.decision
        self.events = demography.events(model.seed, model.month, hh.alive, hh.segment,
                                        hh.key, self.rates)
        keep = ~np.isin(self.events[d.movers], (demography.DISSOLVES, demography.EMIGRATES))
        d.movers, d.why, d.origin = d.movers[keep], d.why[keep], d.origin[keep]
        n = len(model.territories)
        self.eventful = positions.nonzero(self.events)
        for name, code in (("dissolved", demography.DISSOLVES),
                           ("to_abroad", demography.EMIGRATES)):
            who = self.eventful[self.events[self.eventful] == code]
            hh.alive[who] = False
            home, weight = hh.home[who], hh.weight[who]
            np.add.at(stock.occupied, home, -weight)
            np.add.at(stock.vacant, home, weight)
            np.add.at(stock.by_profile, (home, hh.profile[who]), -weight)
            self.counts[name] += np.bincount(home, weights=weight, minlength=n)

    def form(self, model: MigrationModel) -> None:
        """New households from parental homes, separations and arrivals from abroad,
        appended as this month's movers."""
        hh, month, seed, t = model.households, model.month, model.seed, model.territories
        code = self.events[self.eventful]
        young = self.eventful[code == demography.LEAVES_HOME]
        split = self.eventful[code == demography.SEPARATES]
        expected = self.arrivals_per_month
        arrivals = int(expected) + int(rng.uniform(seed, 0, month, rng.IMMIGRATION)
                                       < expected - int(expected))
        ids = hh.grow(young.size + split.size + arrivals)
        model.types.grow(ids.size)
        a, b = young.size, young.size + split.size
        parents = np.concatenate([young, split])
        origin = np.empty(ids.size, dtype=np.int32)
        origin[:b] = hh.home[parents]
        hh.weight[ids[:b]] = hh.weight[parents]
        keys = hh.key[ids]
        draws = rng.uniforms(seed, keys[b:], month, rng.IMMIGRATION)
        origin[b:] = np.minimum(np.searchsorted(self.gateway, draws, side="right"),
                                len(t) - 1)
        hh.home[ids] = origin
        u = rng.uniforms(seed, keys, month, rng.SYNTH_PROFILE)
        cum = np.cumsum(self.young_shares[t.kind_index[origin[:a]]], axis=1)
        hh.profile[ids[:a]] = np.minimum((u[:a, None] >= cum).sum(axis=1), cum.shape[1] - 1)
        hh.profile[ids[a:b]] = hh.profile[split]
        hh.profile[ids[b:]] = np.minimum(np.searchsorted(np.cumsum(self.abroad_shares), u[b:],
                                                         side="right"),
                                         self.abroad_shares.size - 1)
        hh.age[ids[:a]] = draw_ages(seed, keys[:a], np.zeros(a, dtype=np.int64),
                                    {"young": {"under_30": 1.0}}, ["young"], month)
        hh.age[ids[a:b]] = hh.age[split]
        abroad = {"arriving": dict(self.params.abroad.age_shares)}
        hh.age[ids[b:]] = draw_ages(seed, keys[b:], np.zeros(arrivals, dtype=np.int64),
                                    abroad, ["arriving"], month)
        z = np.sqrt(-2 * np.log1p(-rng.uniforms(seed, keys, month, rng.SYNTH_INCOME))) * np.cos(
            2 * np.pi * rng.uniforms(seed, keys, month, rng.SYNTH_INCOME_ANGLE))
        sigma = model.config.model.households.income_sigma
        median = t.array("income_month")[origin] / t.income_premium[origin]  # a French job
        hh.income[ids] = (median * model.submodels.economy.income_index
                          * self.income_factor[hh.profile[ids]]
                          * np.exp(sigma * z - sigma**2 / 2))
        hh.owner[ids] = False  # new households rent first (design)
        worker = self.workers[hh.profile[ids]]
        hh.job[ids] = np.where(worker, t.pole[origin], -1)
        hh.update_budget(ids, model.housing_factor)
        hh.update_segment(ids)
        period = model.submodels.telework.period
        hh.telework_days[ids] = telework.days_of(seed, ids, hh.key, hh.profile, period.share,
                                                 period.days)
        hh.months_since_arrival[ids] = 0
        model.types.update(ids, hh.home, hh.segment, hh.job)
        why = np.full(ids.size, decision.FORMATION, dtype=np.int8)
        why[b:] = decision.ABROAD
        d = model.submodels.decision
        d.movers = np.concatenate([d.movers, ids])
        d.why = np.concatenate([d.why, why])
        d.origin = np.concatenate([d.origin, origin])
        self.new = ids

    def net_demand(self, model: MigrationModel) -> np.ndarray:
        """This month's demand for dwellings from demography, per territory: the homes new
        households chose (served or not) minus those dissolved and emigrating households
        left (the market adds it to the expected demand of movers)."""
        d, n = model.submodels.decision, len(model.territories)
        new = d.why >= decision.FORMATION
        wanted = np.bincount(model.submodels.choice.chosen[new],
                             weights=model.households.weight[d.movers[new]], minlength=n)
        return (wanted - self.counts["dissolved"] - self.counts["to_abroad"]).astype(float)

    def record(self, model: MigrationModel) -> dict[str, np.ndarray]:
        moved, d = model.submodels.capacity.moved, model.submodels.decision
        dest, weight = model.submodels.choice.chosen, model.households.weight[d.movers]
        n = len(model.territories)
        formed = moved & (d.why == decision.FORMATION)
        abroad = moved & (d.why == decision.ABROAD)
        return {**self.counts,
                "formed": np.bincount(dest[formed], weights=weight[formed], minlength=n),
                "from_abroad": np.bincount(dest[abroad], weights=weight[abroad], minlength=n)}
