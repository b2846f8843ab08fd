"""The monthly step written the ordinary Mesa way: one agent object per household.

``MigrationModel`` keeps households as arrays and runs each submodel as a numba kernel.
``MesaReference`` runs the same month as a typical Mesa model would: a ``HouseholdAgent``
with plain Python attributes per household, methods for the hazard, the decision, the
utility, the choice and the move, and Python loops over agents and territories for the
choice, the capacity lottery and the housing market. Formulas, the counter-based draws
and the order of the month — taken from the fast model's own schedule, one method per
submodel — are those of the fast path, so that it serves two purposes:

* the baseline of the benchmarks (what the arrays and kernels are measured against);
* the oracle of the tests: built from a ``MigrationModel`` before it steps, it must take
  the same decisions and choices and reach the same state, month after month.

Policies (their levers act on the arrays of the fast model) and sampled alternatives
are not supported.
"""

from __future__ import annotations

import bisect
import math
from itertools import accumulate
from typing import TYPE_CHECKING

import mesa

from migrasim import rng as crn
from migrasim.kernels.decision import DISPLACED, ORDINARY, RETURN, STAY
from migrasim.submodels.telework import Period
from migrasim.territories.classification import HIERARCHY

if TYPE_CHECKING:
    from migrasim.model import MigrationModel


class HouseholdAgent(mesa.Agent):
    """One household; ``index`` is its household id in the fast model's arrays."""

    model: MesaReference

    def __init__(self, model: MesaReference, index: int, *, home: int, profile: int,
                 job: int, income: float, owner: bool, telework_days: int,
                 months_since_arrival: int, origin: int):
        super().__init__(model)
        self.index = index
        self.home = home
        self.profile = profile
        self.job = job  # territory of the job, -1 for households without one
        self.income = income
        self.owner = owner
        self.telework_days = telework_days
        self.months_since_arrival = months_since_arrival
        self.origin = origin  # territory before the last move, -1 if none yet
        self.budget = income / model.housing_factor[profile]  # rent burden = rent / budget
        self.reason = STAY  # this month's decision
        self.cumulative: list[float] = []  # cumulative choice weights of the last choice

    def draw(self, purpose: int, month: int | None = None) -> float:
        """This household's uniform draw for ``purpose`` (this month by default)."""
        m = self.model
        return crn.uniform_py(m.seed, self.index, m.month if month is None else month, purpose)

    def telework(self, period: Period) -> int:
        """Days a week teleworked under ``period`` (as kernels.telework.days)."""
        if self.draw(crn.SYNTH_TELEWORK, -1) >= period.share[self.profile]:
            return 0
        mean = float(period.days[self.profile])
        whole = math.floor(mean)
        days = whole + (1 if self.draw(crn.SYNTH_DAYS, -1) < mean - whole else 0)
        return min(max(days, 0), 5)

    def burden(self) -> float:
        """Rent burden at home (0 for owner-occupiers)."""
        return 0.0 if self.owner else self.model.rent[self.home] / self.budget

    def hazard(self) -> float:
        """Ordinary monthly move hazard (as kernels.decision.decide; without policies,
        no newcomer-retention multiplier)."""
        m = self.model
        hz = (m.monthly_rate[self.profile] * m.tenure_factor[0 if self.owner else 1]
              * m.shock[self.profile][m.hier[self.home]])
        burden = self.burden()
        if burden > m.burden_ref:
            hz *= 1.0 + m.burden_slope * (burden - m.burden_ref)
        return hz

    def decide(self) -> int:
        """This month's reason to move: STAY, ORDINARY, DISPLACED or RETURN."""
        m = self.model
        if (m.displaceable[self.profile] and not self.owner
                and self.burden() > m.displacement_threshold
                and self.draw(crn.DISPLACEMENT) < m.displacement_rate):
            return DISPLACED
        if (m.fragile[self.profile] and self.months_since_arrival < m.project_months
                and m.failure_classes[m.hier[self.home]]
                and self.draw(crn.FAILURE) < m.failure_rate):
            return RETURN
        if self.draw(crn.MOVE) < self.hazard():
            return ORDINARY
        return STAY

    def utility(self, j: int) -> float:
        """Utility of territory ``j`` this month (submodels/choice.py)."""
        bonus = self.model.return_bonus if self.reason == RETURN else 0.0
        return self.model.utility(j, self.profile, self.home, self.job,
                                  self.telework_days / 5.0, 1.0 / self.budget, bonus)

    def choose(self) -> int:
        """Destination drawn from the logit by inverse CDF, in territory order."""
        utilities = [self.utility(j) for j in range(self.model.n)]
        best = max(utilities)
        self.cumulative = list(accumulate(math.exp(v - best) for v in utilities))
        target = self.draw(crn.CHOICE) * self.cumulative[-1]
        return min(bisect.bisect_right(self.cumulative, target), self.model.n - 1)

    def move(self, destination: int) -> None:
        """Move into ``destination`` (possibly the home territory: a new dwelling there)."""
        m = self.model
        origin = self.home
        elsewhere = destination != origin
        if elsewhere:
            self.origin = origin
            self.months_since_arrival = 0
        self.home = destination
        m.occupied[origin] -= 1
        m.occupied[destination] += 1
        if self.reason == RETURN:  # a failed project ends: the household changes profile
            self.profile = m.becomes
            self.budget = self.income / m.housing_factor[self.profile]
        # Workers who moved beyond commuting range take a job near their new home.
        if (self.job >= 0 and m.commute_min[self.home][self.job] > m.max_commute
                and self.telework_days < 5):
            self.job = m.pole[self.home]
        if m.local[self.profile] and elsewhere:
            self.job = self.home


class MesaReference(mesa.Model):
    """The month of ``MigrationModel`` with one ``HouseholdAgent`` per household.

    ``MesaReference(model)`` copies the parameters, territory state and households of a
    ``MigrationModel`` (build it before the fast model steps to run the two in lockstep)
    and runs, each month, one method per submodel of the model's schedule, in its order.
    Territories are plain lists indexed by position; after each ``step``,
    ``last_reasons`` (per household), ``last_origin``, ``last_chosen`` and ``last_moved``
    (per mover id) and ``last_unmet`` (per territory) hold the month's results.
    """

    def __init__(self, model: MigrationModel):
        sub = model.submodels
        if sub.policies.policies:
            raise ValueError(
                f"MesaReference does not support policies; scenario "
                f"{model.config.scenario.name!r} has {len(sub.policies.policies)}: use a "
                "scenario without policies")
        if sub.choice.sample is not None:
            raise ValueError("MesaReference chooses over every territory: set "
                             "model.choice.sampling.alternatives=null to compare")
        steps = {"economy": self.grow_incomes, "policies": self.apply_policies,
                 "telework": self.update_telework,
                 "shocks": self.apply_shocks, "decision": self.decide,
                 "choice": self.choose, "capacity": self.allocate,
                 "relocation": self.relocate, "market": self.clear_market,
                 "construction": self.build, "records": self.record, "ageing": self.age}
        missing = [s for s in model.schedule.names if s not in steps]
        if missing:
            raise ValueError(f"MesaReference has no step for the submodel(s) {missing} of "
                             "the schedule: write one to compare")
        self.processes = [steps[name] for name in model.schedule.names]
        super().__init__(rng=model.seed)
        self.seed = model.seed
        self.month = model.month
        self.end = model.start_month + model.months
        self.profiles = list(model.profiles)
        self.n = len(model.territories)
        self._setup_parameters(model)

        t, choice, market, stock = model.territories, sub.choice, sub.market, model.stock
        self.telework = sub.telework  # its periods (read only)
        self.shocks = sub.shocks
        self.constants = sub.constants.values.tolist()
        self.kind = t.kind_index.tolist()
        self.hier = t.hierarchy_index.tolist()
        self.pole = t.pole.tolist()
        self.urban = choice.urban.tolist()
        self.amenities = choice.scores["amenities"].tolist()
        self.services = choice.scores["services"].tolist()
        self.broadband = choice.scores["broadband"].tolist()
        self.coworking = choice.scores["coworking"].tolist()
        self.log_dist = choice.log_dist.tolist()
        self.commute_min = choice.commute_min.tolist()
        self.price = market.price.tolist()
        self.price0 = market.initial_price.tolist()
        self.rent = market.rent.tolist()
        self.smoothed = market.smoothed.tolist()
        self.local_price = market.local.tolist()  # local log price component
        self.national = market.national
        self.vacancy0 = market.initial_vacancy.tolist()
        self.smoothed_vacancy = market.vacancy.tolist()
        economy = model.config.economy  # the yearly table, read here by year
        self.mortgage_rate = {int(y): v for y, v in economy.mortgage_rate.items()}
        self.income_growth = {int(y): v for y, v in economy.income_growth.items()}
        self.rent_index_growth = {int(y): v for y, v in economy.rent_index_growth.items()}
        self.initial_rate = self.rate = self.mortgage_rate[model.month // 12]
        self.income_index = sub.economy.income_index
        self.rent_growth = 0.0
        self.vacant = stock.vacant.tolist()
        self.dwellings = stock.dwellings.tolist()
        self.occupied = stock.occupied.tolist()
        self.built = sub.construction.built.tolist()
        self.build_floor = sub.construction.floor.tolist()

        self.period: Period | None = None
        self.shock: list[list[float]] = [[1.0] * len(HIERARCHY) for _ in self.profiles]
        self.preference: dict[str, float] = {}
        self.terms = self.territory_terms({})
        hh = model.households
        self.households = [
            HouseholdAgent(self, h, home=int(hh.home[h]), profile=int(hh.profile[h]),
                           job=int(hh.job[h]), income=float(hh.income[h]),
                           owner=bool(hh.owner[h]), telework_days=int(hh.telework_days[h]),
                           months_since_arrival=int(hh.months_since_arrival[h]),
                           origin=int(hh.origin[h]))
            for h in range(len(hh))]
        self.type_sums: dict[tuple[int, int, int], list[float]] = {}
        self.movers: list[HouseholdAgent] = []
        self.last_reasons = [STAY] * len(self.households)
        self.last_origin: dict[int, int] = {}
        self.last_chosen: dict[int, int] = {}
        self.last_moved: dict[int, bool] = {}
        self.last_unmet = [0] * self.n
        self.running = self.month < self.end

    def _setup_parameters(self, model: MigrationModel) -> None:
        sub = model.submodels
        d = sub.decision.hazards
        self.monthly_rate = d.monthly_rate.tolist()
        self.tenure_factor = d.tenure_factor.tolist()  # (owner, renter)
        self.burden_ref, self.burden_slope = float(d.burden_ref), float(d.burden_slope)
        self.displaceable = [bool(d.displaceable >> p & 1) for p in range(len(self.profiles))]
        self.displacement_threshold = float(d.displacement_threshold)
        self.displacement_rate = float(d.displacement_rate)
        self.fragile = [bool(d.fragile >> p & 1) for p in range(len(self.profiles))]
        self.failure_classes = [bool(d.failure_classes >> c & 1) for c in range(len(HIERARCHY))]
        self.failure_rate = float(d.failure_rate)
        self.project_months = int(d.project_months)
        self.becomes = sub.relocation.becomes
        self.local = sub.relocation.local.tolist()
        self.housing_factor = sub.relocation.housing_factor.tolist()
        self.max_commute = float(sub.relocation.params.max_commute_min)
        c = sub.choice
        self.return_bonus = float(c.params.return_urban_bonus)
        self.coef = {k: v.tolist() for k, v in c.coef.items()}
        self.kind_const = c.kind_const.tolist()
        self.size_coef = float(c.params.size)
        mk = sub.market.params
        self.income_elasticity = float(mk.income_elasticity)
        self.rate_semi_elasticity = float(mk.rate_semi_elasticity)
        self.national_adjustment = float(mk.national_adjustment)
        self.response = float(mk.response)
        self.vacancy_weight = float(mk.vacancy_weight)
        self.vacancy_months = float(mk.vacancy_months)
        self.inertia = float(mk.inertia)
        self.max_change = float(mk.max_monthly_change)
        self.pass_through = float(mk.rent_pass_through)
        self.construction_rate = float(sub.construction.params.rate)

    # --------------------------------------------------------------- the month
    def step(self) -> None:
        """One month: the method of each submodel of the fast model's schedule."""
        for step in self.processes:
            step()
        self.month += 1
        self.running = self.month < self.end

    def grow_incomes(self) -> None:
        """The month's inputs from the yearly economy table: the year's rate, its income
        and IRL growth spread evenly over twelve months (submodels/economy.py); every
        agent's income grows, its budget with it."""
        year = self.month // 12
        self.rate = self.mortgage_rate[year]
        self.rent_growth = math.log1p(self.rent_index_growth[year] / 100.0) / 12.0
        factor = math.exp(math.log1p(self.income_growth[year] / 100.0) / 12.0)
        self.income_index *= factor
        for agent in self.households:
            agent.income *= factor
            agent.budget = agent.income / self.housing_factor[agent.profile]

    def apply_policies(self) -> None:
        """No policy (refused at construction): the levers stay neutral."""

    def update_telework(self) -> None:
        period = self.telework.period_at(self.month)
        if period is not self.period:
            for agent in self.households:
                agent.telework_days = agent.telework(period)
            self.period = period

    def apply_shocks(self) -> None:
        shock, self.preference = self.shocks.at(self.month)
        self.shock = shock.tolist()

    def decide(self) -> None:
        """Every agent decides; the hazards are summed by household type (home, profile,
        job) as the agents are when deciding: the demand the market answers."""
        self.type_sums = {}
        for agent in self.households:
            agent.reason = agent.decide()
            hz = agent.hazard()
            sums = self.type_sums.setdefault((agent.home, agent.profile, agent.job),
                                             [0.0, 0.0, 0.0])
            sums[0] += hz
            sums[1] += hz / agent.budget
            sums[2] += hz * agent.telework_days / 5.0
        self.movers = [agent for agent in self.households if agent.reason != STAY]
        self.last_reasons = [agent.reason for agent in self.households]
        self.last_origin = {agent.index: agent.home for agent in self.movers}

    def choose(self) -> None:
        self.terms = self.territory_terms(self.preference)
        self.last_chosen = {agent.index: agent.choose() for agent in self.movers}

    def allocate(self) -> None:
        """Capacity lottery: movers served one at a time, in the order of their draws."""
        self.last_moved = {}
        self.last_unmet = [0] * self.n
        for agent in sorted(self.movers, key=lambda a: a.draw(crn.LOTTERY)):
            origin, destination = agent.home, self.last_chosen[agent.index]
            moved = destination == origin or self.vacant[destination] > 0
            if moved and destination != origin:  # the mover's dwelling is freed at once
                self.vacant[destination] -= 1
                self.vacant[origin] += 1
            if not moved:
                self.last_unmet[destination] += 1
            self.last_moved[agent.index] = moved

    def relocate(self) -> None:
        for agent in self.movers:
            if self.last_moved[agent.index]:
                agent.move(self.last_chosen[agent.index])

    def territory_terms(self, preference: dict[str, float]) -> list[list[float]]:
        """A[p][j]: the profile × territory part of utility this month, constants included."""
        amen = [c * preference.get("amenities", 1.0) for c in self.coef["amenities"]]
        serv = [c * preference.get("services", 1.0) for c in self.coef["services"]]
        return [[self.kind_const[p][self.kind[j]] + amen[p] * self.amenities[j]
                 + serv[p] * self.services[j]
                 + self.size_coef * math.log1p(max(self.dwellings[j], 0)) + self.constants[j]
                 for j in range(self.n)] for p in range(len(self.profiles))]

    def utility(self, j: int, profile: int, home: int, job: int, telework: float,
                inv_budget: float, bonus: float) -> float:
        """Utility of territory ``j`` (formula in submodels/choice.py) for a household of
        ``profile`` living in ``home``, working in ``job`` (-1: none), teleworking the
        share ``telework`` of the week, with 1 / budget ``inv_budget``."""
        c, p = self.coef, profile
        v = (self.terms[p][j] + c["distance"][p] * self.log_dist[home][j]
             + c["cost"][p] * inv_budget * self.rent[j]
             + c["broadband"][p] * telework * self.broadband[j]
             + c["coworking"][p] * telework * self.coworking[j]
             + c["amenities_telework"][p] * telework * self.amenities[j]
             + bonus * self.urban[j])
        if job >= 0:
            v += c["commute"][p] * (1.0 - telework) * self.commute_min[j][job]
        if j == home:
            v += c["same_territory"][p]
        return v

    def expected_flows(self) -> tuple[list[float], list[float]]:
        """Expected arrivals and departures per territory this month: move hazards times
        choice probabilities, over the household types of this month's decisions with the
        hazard-weighted means of 1 / budget and of the telework share."""
        arrivals, departures = [0.0] * self.n, [0.0] * self.n
        for (home, profile, job), (weight, inv_budget, telework) in sorted(
                self.type_sums.items()):
            safe = max(weight, 1e-300)
            utilities = [self.utility(j, profile, home, job, telework / safe,
                                      inv_budget / safe, 0.0) for j in range(self.n)]
            best = max(utilities)
            weights = [math.exp(v - best) for v in utilities]
            scale = weight / sum(weights)
            for j in range(self.n):
                if j != home:
                    arrivals[j] += weights[j] * scale
            departures[home] += weight - weights[home] * scale
        return arrivals, departures

    def clear_market(self) -> None:
        """The national price level moves toward its income and rate target; local prices
        answer this month's expected flows and smoothed vacancy; rents follow the IRL and
        the local price moves (submodels/market.py)."""
        target = (self.income_elasticity * math.log(self.income_index)
                  + self.rate_semi_elasticity * (self.rate - self.initial_rate))
        self.national += self.national_adjustment * (target - self.national)
        arrivals, departures = self.expected_flows()
        for j in range(self.n):
            stock = max(self.dwellings[j], 1)
            self.smoothed_vacancy[j] += (self.vacant[j] / stock
                                         - self.smoothed_vacancy[j]) / self.vacancy_months
            pressure = ((arrivals[j] - departures[j]) / stock
                        - self.vacancy_weight * (self.smoothed_vacancy[j] - self.vacancy0[j]))
            self.smoothed[j] = self.inertia * self.smoothed[j] + (1.0 - self.inertia) * pressure
            g = min(max(self.response * self.smoothed[j], -self.max_change), self.max_change)
            self.local_price[j] += g
            self.price[j] = self.price0[j] * math.exp(self.national + self.local_price[j])
            self.rent[j] *= math.exp(self.rent_growth + self.pass_through * g)

    def build(self) -> None:
        """New dwellings where prices exceed the cost of building (submodels/construction.py)."""
        for j in range(self.n):
            stock = max(self.dwellings[j], 1)
            gap = self.price[j] / self.build_floor[j] - 1.0
            if gap > 0.0:
                self.built[j] += self.construction_rate * stock * gap
            new = int(self.built[j])
            if new > 0:
                self.built[j] -= new
                self.vacant[j] += new
                self.dwellings[j] += new

    def record(self) -> None:
        """The month's results stay in the ``last_*`` attributes."""

    def age(self) -> None:
        for agent in self.households:
            agent.months_since_arrival += 1

