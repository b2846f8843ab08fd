"""The monthly step as a competent Mesa user writes it: agents, with numpy inside.

``MesaReference`` is the oracle: every loop in plain Python, over the 1,232 territories
for each mover and over household types × territories for the market. That is a fair
oracle but a weak benchmark baseline: nobody writes a Mesa model that way when numpy is
at hand. ``MesaNumpyReference`` is the baseline the benchmarks measure the fast path
against (``speedup_vs_mesa_numpy_<N>``). It is still a ``mesa.Model`` with one
``mesa.Agent`` per household, the same month in the same order with the same
counter-based draws (``rng.uniform_py``: ``rng.uniform`` is a numba function), but:

* each mover computes its utilities as one float64 vector over territories and draws its
  destination with ``np.exp``, ``np.cumsum`` and ``np.searchsorted``; a job changer draws
  its new job the same way over the employment poles;
* the market's expected demand is one numpy vector per household type, summed;
* territory state is numpy arrays, and the territory-level rules (segment × territory
  terms, market clearing, demography's demand, construction) are array expressions.

``draws="mesa"`` draws from the model's own ``self.random`` (Mesa's stdlib Mersenne
Twister, seeded with the run's seed) instead, as a Mesa model usually does: faster in
pure Python (``uniform_py`` mixes 64-bit integers with Python ints), but neither common
random numbers nor the fast path's decisions, only the same distributions. The
benchmarks time both.

The per-household rules that are scalar (hazard, decision, demographic event, move,
lottery, retirement) stay agent methods inherited from ``MesaReference``: households
are not vectorised across agents (that would be the fast path written in numpy), and
there is no numba here.

The vectors repeat the reference's operations in its order, so utilities are identical;
``np.exp`` and ``np.log`` may differ from ``math``'s in the last bit, and each type's
total choice weight is numpy's pairwise sum where the reference sums in order: a choice
could differ only for a draw within ~1e-16 of a cumulative boundary, and prices differ
from the reference's by rounding only.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from migrasim import rng as crn
from migrasim.ages import N_AGES
from migrasim.errors import ConfigError
from migrasim.kernels.decision import FORMATION, JOB_CHANGE, RETURN
from migrasim.kernels.demography import DISSOLVES, EMIGRATES
from migrasim.reference.mesa import HouseholdAgent, MesaReference

if TYPE_CHECKING:
    from migrasim.model import MigrationModel

DRAWS = ("counter", "mesa")  # rng.uniform_py's draws (the fast path's), or self.random's

# The reference's territory state and constants, as float64 arrays here.
TERRITORY_ARRAYS = (
    "rent", "price", "price0", "smoothed", "local_price", "vacancy0", "market_dwellings",
    "smoothed_vacancy", "vacant", "dwellings", "occupied", "by_profile", "built",
    "build_floor", "amenities", "services", "broadband", "coworking", "urban_score",
    "log_dist", "commute_min", "site_log_dist", "border_mass")


def pick(cumulative: np.ndarray, u: float) -> int:
    """Index drawn by ``u`` from cumulative weights: the first whose cumulative weight
    exceeds ``u``, the last one if rounding leaves none (as reference.mesa.pick)."""
    return min(int(np.searchsorted(cumulative, u, side="right")), len(cumulative) - 1)


class NumpyHouseholdAgent(HouseholdAgent):
    """A household whose choices over territories and job sites are numpy vectors."""

    model: MesaNumpyReference

    def new_job(self) -> int:
        """The territory of a new job beyond commuting reach, drawn by gravity over the
        far employment poles in pole order (as HouseholdAgent.new_job); −1 if none."""
        m = self.model
        share = (5.0 - self.telework_days) / 5.0
        far = m.commute_min[self.home, m.poles] * share > m.max_commute
        if not far.any():
            return -1
        cumulative = np.cumsum(np.exp(
            m.log_pole_size[far] - m.job_decay * m.site_log_dist[self.home, m.poles[far]]))
        return int(m.poles[far][pick(cumulative, self.draw(crn.JOB_PLACE) * cumulative[-1])])

    def choose(self) -> int:
        """Destination drawn from the logit by inverse CDF, in territory order."""
        m = self.model
        v = m.utilities(self.segment, self.home, self.job, self.telework_days / 5.0,
                        1.0 / self.budget, m.return_bonus if self.reason == RETURN else 0.0,
                        around_job=self.reason == JOB_CHANGE)
        self.cumulative = np.cumsum(np.exp(v - v.max()))
        return pick(self.cumulative, self.draw(crn.CHOICE) * self.cumulative[-1])


class MesaNumpyReference(MesaReference):
    """``MesaReference`` with territory state in numpy arrays and numpy vectors for each
    mover's choice, each type's expected flows and the territory-level rules.

    Built like ``MesaReference`` (from a ``MigrationModel`` before it steps) and read
    the same way (``last_*``); territory attributes are arrays, and an agent's
    ``cumulative`` is its last choice's array of cumulative weights."""

    agent_class = NumpyHouseholdAgent

    def __init__(self, model: MigrationModel, draws: str = "counter"):
        if draws not in DRAWS:
            raise ConfigError("draws", draws, f"one of {list(DRAWS)}")
        super().__init__(model)
        if draws == "mesa":  # every draw of the step from Mesa's own generator
            self.uniform = lambda household, purpose, month=None: self.random.random()
        for name in TERRITORY_ARRAYS:
            setattr(self, name, np.asarray(getattr(self, name), dtype=np.float64))
        self.kind = np.asarray(self.kind)
        self.poles = np.asarray(self.poles)
        self.commute_to = np.ascontiguousarray(self.commute_min.T)  # job site × home row
        self.log_pole_size = np.zeros(len(self.poles))

    def territory_terms(self, preference: dict[str, float]) -> np.ndarray:
        """A[s, j]: the segment × territory part of utility (as
        MesaReference.territory_terms), one row per segment = profile × age class.
        (``MesaReference.__init__`` calls it while territories are still lists.)"""
        kind, kind_const = np.asarray(self.kind), np.asarray(self.kind_const)
        age_const = np.asarray(self.age_const)
        amenities, services = np.asarray(self.amenities), np.asarray(self.services)
        size = self.size_coef * np.log1p(np.maximum(np.asarray(self.dwellings), 0))
        constants = np.asarray(self.constants)
        amen = [c * preference.get("amenities", 1.0) for c in self.coef["amenities"]]
        serv = [c * preference.get("services", 1.0) for c in self.coef["services"]]
        return np.array([kind_const[p, kind] + amen[p] * amenities + serv[p] * services
                         + size + constants + age_const[a, kind]
                         for p in range(len(self.profiles)) for a in range(N_AGES)])

    def utilities(self, segment: int, home: int, job: int, telework: float,
                  inv_budget: float, bonus: float, around_job: bool = False) -> np.ndarray:
        """Utility of every territory (MesaReference.utility's terms in its order); terms
        multiplied by a zero telework share or bonus are left out (they add zero)."""
        c, (p, a) = self.coef, divmod(segment, N_AGES)
        v = self.terms[segment] + c["cost"][p] * inv_budget * self.rent
        if telework:
            v += c["broadband"][p] * telework * self.broadband
            v += c["coworking"][p] * telework * self.coworking
            v += c["amenities_telework"][p] * telework * self.amenities
        if bonus:
            v += bonus * self.urban_score
        if not around_job:
            v += c["distance"][p] * self.distance_factor[a] * self.log_dist[home]
            v[home] += c["same_territory"][p]
        if job >= 0:
            v += c["commute"][p] * (1.0 - telework) * self.commute_to[job]
        return v

    def decide(self) -> None:
        """The log sizes of the employment poles for this month's new jobs, then every
        agent decides (MesaReference.decide)."""
        sizes = np.concatenate([self.dwellings, self.border_mass])[self.poles]
        self.log_pole_size = np.log(np.maximum(sizes, 1))
        super().decide()

    def expected_flows(self) -> tuple[np.ndarray, np.ndarray]:
        """Expected arrivals and departures per territory: one vector of choice
        probabilities × hazard per household type, summed (MesaReference.expected_flows)."""
        arrivals, departures = np.zeros(self.n), np.zeros(self.n)
        for (home, segment, job), (weight, inv_budget, telework) in sorted(
                self.type_sums.items()):
            safe = max(weight, 1e-300)
            v = self.utilities(segment, home, job, telework / safe, inv_budget / safe, 0.0)
            weights = np.exp(v - v.max())
            flows = weights * (weight / weights.sum())
            departures[home] += weight - flows[home]
            flows[home] = 0.0
            arrivals += flows
        return arrivals, departures

    def demographic_demand(self) -> np.ndarray:
        """Dwellings demography asks for, per territory: new households' chosen homes
        minus those dissolved and emigrating households left."""
        new = [d for h, d in self.last_chosen.items()
               if self.households[h].reason >= FORMATION]
        gone = [agent.home for agent, event in zip(self.households, self.last_events,
                                                   strict=False)
                if event in (DISSOLVES, EMIGRATES)]
        return np.bincount(new, minlength=self.n) - np.bincount(gone, minlength=self.n)

    def clear_market(self) -> None:
        """The national level, then local prices and rents over territories as arrays
        (MesaReference.clear_market)."""
        target = (self.income_elasticity * math.log(self.income_index)
                  + self.rate_semi_elasticity * (self.rate - self.initial_rate))
        self.national += self.national_adjustment * (target - self.national)
        arrivals, departures = self.expected_flows()
        arrivals = (arrivals + self.demographic_demand()
                    - (self.dwellings - self.market_dwellings))
        self.market_dwellings = self.dwellings.copy()
        stock = np.maximum(self.dwellings, 1)
        self.smoothed_vacancy += (self.vacant / stock - self.smoothed_vacancy) / self.vacancy_months
        pressure = ((arrivals - departures) / stock
                    - self.vacancy_weight * (self.smoothed_vacancy - self.vacancy0))
        self.smoothed = self.inertia * self.smoothed + (1.0 - self.inertia) * pressure
        g = np.clip(self.response * self.smoothed, -self.max_change, self.max_change)
        self.local_price += g
        self.price = self.price0 * np.exp(self.national + self.local_price)
        self.rent *= np.exp(self.rent_growth + self.pass_through * g)

    def build(self) -> None:
        """New dwellings at the base rate and where the local price exceeds the cost of
        building, as arrays (MesaReference.build; adding zero where neither holds)."""
        gap = np.maximum(self.price / math.exp(self.national) / self.build_floor - 1.0, 0.0)
        self.built += np.maximum(self.dwellings, 1) * (self.construction_base
                                                        + self.construction_rate * gap)
        new = np.trunc(self.built)  # int(): whole dwellings finished
        self.built -= new
        self.vacant += new
        self.dwellings += new
