"""The monthly step written the ordinary Mesa way: one agent object per household.

``MigrationModel`` keeps households as arrays and runs each submodel as a numba kernel.
``MesaReference`` runs the same month as a typical Mesa model would: a ``HouseholdAgent``
with plain Python attributes per household, methods for the hazard, the decision, the
new job, the demographic event, the utility, the choice, the move and retirement, and
Python loops over agents and territories for the choice, the capacity lottery, the
housing market and construction. Formulas, the counter-based draws and the order of the
month — taken from the fast model's own schedule, one method per submodel — are those
of the fast path, so that it serves two purposes:

* the baseline of the benchmarks (what the arrays and kernels are measured against);
* the oracle of the tests: built from a ``MigrationModel`` before it steps, it must take
  the same decisions, demographic events and choices and reach the same state, month
  after month.

Every submodel of the default schedule has its method: the economy, telework, shocks,
the move decision (hazards by segment = profile × age class, displacement, failed
projects, job changes with the new job drawn by gravity), demography (dissolution,
departures abroad, young adults leaving home, separations, arrivals from abroad through
a gateway), the choice by segment (around the new job for a job change), the capacity
lottery (a new household needs a vacant dwelling), relocation (commuting reach with
telework, telework moves, rural projects, a job changer's job restored), the market
(national level, local prices, demography's demand, new dwellings as supply),
construction (base rate, local price above the floor) and ageing (class crossings,
retirement). Policies (their levers act on the arrays of the fast model) and sampled
alternatives are not supported; a submodel without a method is named at construction.

What derives from data is copied from the fast model with its territory state: the
territory constants, the gateway weights and the area's monthly arrivals from abroad,
median incomes, the decision's hazard tables (by segment, by age class). Every
per-household rule is written here again.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Iterator
from itertools import accumulate
from typing import TYPE_CHECKING

import mesa

from migrasim import rng as crn
from migrasim.ages import AGE_CLASSES, BOUNDS_YEARS, N_AGES, class_range_months
from migrasim.errors import ConfigError
from migrasim.kernels.decision import (
    ABROAD,
    DISPLACED,
    FORMATION,
    JOB_CHANGE,
    ORDINARY,
    RETURN,
    STAY,
    TELEWORK,
    monthly,
)
from migrasim.kernels.demography import DISSOLVES, EMIGRATES, LEAVES_HOME, NONE, SEPARATES
from migrasim.submodels.telework import Period
from migrasim.territories.classification import HIERARCHY, KINDS, URBAN

if TYPE_CHECKING:
    from migrasim.model import MigrationModel

AGE_BOUNDS = [12 * years for years in BOUNDS_YEARS]  # first month of age of classes 1..


def pick(cumulative: Iterable[float], u: float) -> int:
    """Index drawn by ``u`` from cumulative shares: the first whose cumulative share
    exceeds ``u``, the last one if rounding leaves none."""
    cumulative = list(cumulative)
    return min(bisect.bisect_right(cumulative, u), len(cumulative) - 1)


class HouseholdAgent(mesa.Agent):
    """One household; ``index`` is its household id in the fast model's arrays.

    Households that dissolved or left for abroad, and new ones that found no dwelling,
    stay in the list with ``alive`` False (ids are positions, as in the arrays)."""

    model: MesaReference

    def __init__(self, model: MesaReference, index: int, *, home: int, profile: int,
                 job: int, income: float, owner: bool, telework_days: int,
                 months_since_arrival: int, origin: int, age: int, alive: bool):
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
        self.age = age  # of the reference person, in months
        self.alive = alive
        self.reason = STAY  # this month's reason to move (relabelled by the move)
        self.former_job: int | None = None  # a job changer's job before this month's change
        self.cumulative: list[float] = []  # cumulative choice weights of the last choice

    # ------------------------------------------------------------- who it is
    @property
    def age_class(self) -> int:
        """Index into ``AGE_CLASSES``: the class changes on the month of a bound."""
        return bisect.bisect_right(AGE_BOUNDS, self.age)

    @property
    def segment(self) -> int:
        """Row of the behavioural tables: profile × age class (migrasim.ages)."""
        return self.profile * N_AGES + self.age_class

    @property
    def budget(self) -> float:
        """Income / housing factor of the profile: the rent burden is rent / budget."""
        return self.income / self.model.housing_factor[self.profile]

    def draw(self, purpose: int, month: int | None = None) -> float:
        """This household's uniform draw for ``purpose`` (this month by default)."""
        return self.model.uniform(self.index, purpose, month)

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

    # ------------------------------------------------------------- decision
    def hazard(self) -> float:
        """Ordinary monthly move hazard of the segment, raised by telework (as
        kernels.decision.decide; without policies, no newcomer-retention multiplier)."""
        m = self.model
        hz = (m.monthly_rate[self.segment] * m.tenure_factor[0 if self.owner else 1]
              * m.shock[self.profile][m.hier[self.home]]
              * (1.0 + m.telework_factor * self.telework_days / 5.0))
        burden = self.burden()
        if burden > m.burden_ref:
            hz *= 1.0 + m.burden_slope * (burden - m.burden_ref)
        return hz

    def decide(self) -> int:
        """This month's reason to move, the first that applies: DISPLACED, RETURN,
        JOB_CHANGE (a worker, at the rate of the age class), ORDINARY, else STAY."""
        m = self.model
        if (m.displaceable[self.profile] and not self.owner
                and self.burden() > m.displacement_threshold
                and self.draw(crn.DISPLACEMENT) < m.displacement_rate):
            return DISPLACED
        if (m.fragile[self.profile] and self.months_since_arrival < m.project_months
                and m.failure_classes[m.hier[self.home]]
                and self.draw(crn.FAILURE) < m.failure_rate):
            return RETURN
        if self.job >= 0 and self.draw(crn.JOB) < m.job_rate[self.age_class]:
            return JOB_CHANGE
        if self.draw(crn.MOVE) < self.hazard():
            return ORDINARY
        return STAY

    def new_job(self) -> int:
        """The territory of a new job beyond commuting reach (as kernels.jobs.new_jobs):
        among the employment poles whose one-way minutes × commuting share of the week
        exceed the maximum, in pole order, drawn ∝ size · (1 + km / 10)^−decay (size:
        the pole's dwellings); −1 when every pole is within reach (a full-time
        teleworker changes job without moving)."""
        m = self.model
        share = (5.0 - self.telework_days) / 5.0
        far = [q for q in m.poles if m.commute_min[self.home][q] * share > m.max_commute]
        if not far:
            return -1
        cumulative = list(accumulate(
            math.exp(math.log(max(m.pole_size(q), 1)) - m.job_decay * m.site_log_dist[self.home][q])
            for q in far))
        return far[pick(cumulative, self.draw(crn.JOB_PLACE) * cumulative[-1])]

    def life_event(self) -> int:
        """This month's demographic event, at the rates of the age class (as
        kernels.demography.events): the household dissolves, emigrates, or gives rise to
        a new household (a young adult leaves home, a couple separates), or NONE."""
        m, k = self.model, self.age_class
        if self.draw(crn.DISSOLUTION) < m.dissolve_rate[k]:
            return DISSOLVES
        if self.draw(crn.EMIGRATION) < m.emigrate_rate[k]:
            return EMIGRATES
        u = self.draw(crn.FORMATION)
        if u < m.leave_home_rate[k]:
            return LEAVES_HOME
        if u < m.leave_home_rate[k] + m.separate_rate[k]:
            return SEPARATES
        return NONE

    # ------------------------------------------------------------- choice
    def utility(self, j: int) -> float:
        """Utility of territory ``j`` this month (submodels/choice.py)."""
        bonus = self.model.return_bonus if self.reason == RETURN else 0.0
        return self.model.utility(j, self.segment, self.home, self.job,
                                  self.telework_days / 5.0, 1.0 / self.budget, bonus,
                                  around_job=self.reason == JOB_CHANGE)

    def choose(self) -> int:
        """Destination drawn from the logit by inverse CDF, in territory order."""
        utilities = [self.utility(j) for j in range(self.model.n)]
        best = max(utilities)
        self.cumulative = list(accumulate(math.exp(v - best) for v in utilities))
        return pick(self.cumulative, self.draw(crn.CHOICE) * self.cumulative[-1])

    # ------------------------------------------------------------- relocation
    def move(self, destination: int) -> None:
        """Move into ``destination`` (possibly the home territory: another dwelling
        there); a new household comes to exist. The profile, then the job follow."""
        m = self.model
        origin, new = self.home, self.reason >= FORMATION
        elsewhere = destination != origin
        if new:  # no dwelling to leave: from a parental home, a separation, a gateway
            self.alive = True
            self.origin = origin if self.reason == FORMATION else -1
            self.months_since_arrival = 0
        else:
            m.occupied[origin] -= 1
            m.by_profile[origin][self.profile] -= 1
            if elsewhere:
                self.origin = origin
                self.months_since_arrival = 0
        self.home = destination
        m.occupied[destination] += 1
        if self.reason == RETURN:  # a failed project ends: the household changes profile
            self.profile = m.becomes
        elif self.starts_project(origin):
            self.profile = m.neo_rural
        m.by_profile[destination][self.profile] += 1
        # A worker beyond commuting reach — one-way minutes × the commuting share of the
        # week — takes a job at the pole of the new home; one kept in reach by telework
        # only made a telework move (not a household whose job moves with it).
        if self.job >= 0:
            if self.job_out_of_reach():
                self.job = m.pole[self.home]
            elif (m.commute_min[self.home][self.job] > m.max_commute
                  and self.reason == ORDINARY and elsewhere and not m.local[self.profile]):
                self.reason = TELEWORK
        if m.local[self.profile] and elsewhere:
            self.job = self.home

    def job_out_of_reach(self) -> bool:
        """Whether the job is beyond commuting reach of home: one-way minutes × the
        commuting share of the week above the maximum (submodels/relocation.py)."""
        m = self.model
        return m.commute_min[self.home][self.job] * (5 - self.telework_days) / 5.0 > m.max_commute

    def starts_project(self, origin: int) -> bool:
        """Whether this served move starts a rural project (submodels/relocation.py):
        a worker of the starting profiles, young enough, leaving an urban class for a
        project class on an ordinary or job move, with the project probability."""
        m = self.model
        return (m.starters[self.profile] and m.urban[m.hier[origin]]
                and m.project_to[m.hier[self.home]] and self.age < m.project_max_age
                and self.reason in (ORDINARY, JOB_CHANGE)
                and self.draw(crn.NEO_RURAL) < m.project_probability)

    # ------------------------------------------------------------- ageing
    def retire(self) -> None:
        """The worker retires: the retiree profile, no job, no telework, a pension."""
        m = self.model
        m.by_profile[self.home][self.profile] -= 1
        self.profile = m.retiree
        m.by_profile[self.home][self.profile] += 1
        self.job = -1
        self.telework_days = 0
        self.income *= m.income_ratio


class MesaReference(mesa.Model):
    """The month of ``MigrationModel`` with one ``HouseholdAgent`` per household.

    ``MesaReference(model)`` copies the parameters, territory state and households of a
    ``MigrationModel`` (build it before the fast model steps to run the two in lockstep)
    and runs, each month, one method per submodel of the model's schedule, in its order.
    Territories are plain lists indexed by position; after each ``step``,
    ``last_reasons`` (per household, after the move's relabelling), ``last_events`` (per
    household alive when the demography drew them), ``last_origin``, ``last_chosen`` and
    ``last_moved`` (per mover id, new households included), ``last_unmet`` (per
    territory), ``last_in_reach`` (ids of workers whose job changed with every pole
    within reach: they do not move), ``last_job_near_home`` (ids of workers who took a
    job near home when their telework days fell; empty unless a telework period began)
    and ``last_retired`` (ids) hold the month's results.
    """

    agent_class: type[HouseholdAgent] = HouseholdAgent  # a subclass may bring its own

    def __init__(self, model: MigrationModel):
        sub = model.submodels
        if model.territories.focus.any():
            raise ConfigError("territory.focus", model.config.territory.focus,
                              "null: the reference simulates every household at one scale")
        if sub.policies.policies:
            raise ValueError(
                f"MesaReference does not support policies; scenario "
                f"{model.config.scenario.name!r} has {len(sub.policies.policies)}: use a "
                "scenario without policies")
        if sub.choice.sample is not None:
            raise ValueError("MesaReference chooses over every territory: set "
                             "model.choice.sampling.alternatives=null to compare")
        steps = {"economy": self.grow_incomes, "policies": self.apply_policies,
                 "telework": self.update_telework, "shocks": self.apply_shocks,
                 "decision": self.decide, "demography": self.demography,
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
        # the employment poles: the territories' nearest, then those across the border
        self.poles = sorted(set(self.pole)) + [len(t) + k for k in range(len(t.border_poles))]
        self.border_mass = sub.decision.border_mass.tolist()  # dwellings a pole abroad weighs
        self.median_income = (t.array("income_month") / t.income_premium).tolist()  # French job
        self.urban_score = choice.urban.tolist()  # 1 for urban classes (return bonus)
        self.amenities = choice.scores["amenities"].tolist()
        self.services = choice.scores["services"].tolist()
        self.broadband = choice.scores["broadband"].tolist()
        self.coworking = choice.scores["coworking"].tolist()
        self.log_dist = choice.log_dist.tolist()
        self.commute_min = choice.commute_min.tolist()  # home row × job site
        self.site_log_dist = choice.site_log_dist.tolist()
        self.price = market.price.tolist()
        self.price0 = market.initial_price.tolist()
        self.rent = market.rent.tolist()
        self.smoothed = market.smoothed.tolist()
        self.local_price = market.local.tolist()  # local log price component
        self.national = market.national
        self.vacancy0 = market.initial_vacancy.tolist()
        self.market_dwellings = market.dwellings.tolist()  # at the last market step
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
        self.by_profile = stock.by_profile.tolist()  # [territory][profile] households
        construction = sub.get("construction")  # fractions of dwellings under way
        self.built = construction.built.tolist() if construction else [0.0] * self.n

        self.period: Period = sub.telework.period  # the telework period in force
        self.shock: list[list[float]] = [[1.0] * len(HIERARCHY) for _ in self.profiles]
        self.preference: dict[str, float] = {}
        self.terms = self.territory_terms({})
        hh = model.households
        self.households = [
            self.agent_class(self, h, home=int(hh.home[h]), profile=int(hh.profile[h]),
                             job=int(hh.job[h]), income=float(hh.income[h]),
                             owner=bool(hh.owner[h]), telework_days=int(hh.telework_days[h]),
                             months_since_arrival=int(hh.months_since_arrival[h]),
                             origin=int(hh.origin[h]), age=int(hh.age[h]),
                             alive=bool(hh.alive[h]))
            for h in range(len(hh))]
        self.type_sums: dict[tuple[int, int, int], list[float]] = {}
        self.movers: list[HouseholdAgent] = []
        self.job_changers: list[HouseholdAgent] = []  # this month's, with a new job
        self.last_in_reach: list[int] = []  # job changes with every pole within reach
        self.last_job_near_home: list[int] = []  # out of reach when telework days fell
        self.last_events: list[int] = []
        self.last_origin: dict[int, int] = {}
        self.last_chosen: dict[int, int] = {}
        self.last_moved: dict[int, bool] = {}
        self.last_unmet = [0] * self.n
        self.last_retired: list[int] = []
        self.running = self.month < self.end

    def _setup_parameters(self, model: MigrationModel) -> None:
        sub, config = model.submodels, model.config.model
        d = sub.decision.hazards
        self.monthly_rate = d.monthly_rate.tolist()  # per segment
        self.job_rate = d.job_rate.tolist()          # per age class
        self.tenure_factor = d.tenure_factor.tolist()  # (owner, renter)
        self.burden_ref, self.burden_slope = float(d.burden_ref), float(d.burden_slope)
        self.telework_factor = float(d.telework_factor)
        self.displaceable = [bool(d.displaceable >> p & 1) for p in range(len(self.profiles))]
        self.displacement_threshold = float(d.displacement_threshold)
        self.displacement_rate = float(d.displacement_rate)
        self.fragile = [bool(d.fragile >> p & 1) for p in range(len(self.profiles))]
        self.failure_classes = [bool(d.failure_classes >> c & 1) for c in range(len(HIERARCHY))]
        self.failure_rate = float(d.failure_rate)
        self.project_months = int(d.project_months)
        self.job_decay = float(sub.decision.params.job_change.distance_decay)
        self.worker = [p in config.workers for p in self.profiles]
        self.housing_factor = [config.households.housing_factor[p] for p in self.profiles]
        self._setup_demography(model)
        r = sub.relocation
        self.becomes = r.becomes
        self.local = r.local.tolist()
        self.max_commute = float(r.params.max_commute_min)
        project = r.params.new_project
        self.starters = [p in project.profiles for p in self.profiles]
        self.urban = [c in URBAN for c in HIERARCHY]
        self.project_to = [c in project.classes for c in HIERARCHY]
        self.project_max_age = 12 * project.max_age  # months
        self.project_probability = float(project.probability)
        self.neo_rural = self.profiles.index(project.becomes)
        c = sub.choice
        self.return_bonus = float(c.params.return_urban_bonus)
        self.coef = {k: v.tolist() for k, v in c.coef.items()}
        self.kind_const = c.kind_const.tolist()
        self.age_const = c.age_const.tolist()              # [age class][kind]
        self.distance_factor = c.distance_factor.tolist()  # per age class
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
        cp = config.construction
        self.construction_base = float(monthly(cp.base_rate))
        self.construction_rate = float(cp.rate)
        self.build_floor = [max(price, cp.cost_m2) for price in sub.market.initial_price]
        retirement = config.life.retirement
        self.retiree = self.profiles.index(retirement.becomes)
        self.retirement_age = 12 * retirement.age  # months
        self.retirement_rate = float(monthly(retirement.annual_rate))
        self.income_ratio = float(retirement.income_ratio)

    def _setup_demography(self, model: MigrationModel) -> None:
        sub, p, hp = model.submodels, model.config.model.demography, model.config.model.households
        self.demography_on = "demography" in sub and p.enabled
        self.dissolve_rate = monthly([p.dissolution_rate[a] for a in AGE_CLASSES]).tolist()
        self.emigrate_rate = monthly([p.abroad.departure_rate[a] for a in AGE_CLASSES]).tolist()
        self.leave_home_rate = monthly([p.leaving_home_rate[a] for a in AGE_CLASSES]).tolist()
        self.separate_rate = monthly([p.separation_rate[a] for a in AGE_CLASSES]).tolist()

        def young_shares(kind: str) -> list[float]:
            """A young household's profile: the local shares (the rest profile takes
            what the others leave) among the profiles a young household can have."""
            shares = [hp.shares[q][kind] if q in hp.shares else 0.0 for q in self.profiles]
            shares[self.profiles.index(hp.rest)] = 1.0 - sum(shares)
            shares = [x if q in p.leaving_home_profiles else 0.0
                      for q, x in zip(self.profiles, shares, strict=True)]
            return [x / sum(shares) for x in shares]

        self.young_shares = [young_shares(kind) for kind in KINDS]
        total = sum(p.abroad.profiles[q] for q in self.profiles)
        self.abroad_shares = [p.abroad.profiles[q] / total for q in self.profiles]
        self.abroad_ages = [p.abroad.age_shares.get(a, 0.0) for a in AGE_CLASSES]
        self.income_factor = [hp.income_factor[q] for q in self.profiles]
        self.income_sigma = float(hp.income_sigma)
        if self.demography_on:  # from the area's share of France's arrivals (data)
            self.gateway = sub.demography.gateway.tolist()  # cumulative, over territories
            self.arrivals_per_month = float(sub.demography.arrivals_per_month)

    def uniform(self, household: int, purpose: int, month: int | None = None) -> float:
        """Household ``household``'s uniform draw for ``purpose`` (this month by default)."""
        return crn.uniform_py(self.seed, household, self.month if month is None else month,
                              purpose)

    def living(self) -> Iterator[HouseholdAgent]:
        return (agent for agent in self.households if agent.alive)

    @property
    def last_reasons(self) -> list[int]:
        """This month's reason of every household (STAY for those who did not move, or
        dissolved or emigrated instead; TELEWORK for a telework move)."""
        return [agent.reason for agent in self.households]

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

    def apply_policies(self) -> None:
        """No policy (refused at construction): the levers stay neutral."""

    def update_telework(self) -> None:
        """Telework days follow a new period; a living worker with fewer days whose job
        is now out of reach takes a job at the pole of home (submodels/telework.py)."""
        self.last_job_near_home = []
        period = self.telework.period_at(self.month)
        if period is not self.period:
            for agent in self.households:
                before, agent.telework_days = agent.telework_days, agent.telework(period)
                if (agent.telework_days < before and agent.alive and agent.job >= 0
                        and agent.job_out_of_reach()):
                    agent.job = self.pole[agent.home]
                    self.last_job_near_home.append(agent.index)
            self.period = period

    def apply_shocks(self) -> None:
        shock, self.preference = self.shocks.at(self.month)
        self.shock = shock.tolist()

    def decide(self) -> None:
        """Every living agent decides; the hazards are summed by household type (home,
        segment, job) as the agents are when deciding: the demand the market answers. A
        job changer's new job is drawn at once; one with every pole within reach stays."""
        self.type_sums = {}
        self.job_changers = []
        self.last_in_reach = []
        for agent in self.households:
            agent.reason, agent.former_job = STAY, None
            if not agent.alive:
                continue
            agent.reason = agent.decide()
            hz = agent.hazard()
            sums = self.type_sums.setdefault((agent.home, agent.segment, agent.job),
                                             [0.0, 0.0, 0.0])
            sums[0] += hz
            sums[1] += hz / agent.budget
            sums[2] += hz * agent.telework_days / 5.0
            if agent.reason == JOB_CHANGE:
                job = agent.new_job()
                if job < 0:
                    agent.reason = STAY
                    self.last_in_reach.append(agent.index)
                else:
                    agent.former_job, agent.job = agent.job, job
                    self.job_changers.append(agent)
        self.movers = [agent for agent in self.households if agent.reason != STAY]

    def demography(self) -> None:
        """Households dissolve or leave for abroad: they drop out of this month's movers
        and their dwelling becomes vacant. Young adults leaving home, ex-partners and
        arrivals from abroad are appended as new households and movers, in that order
        (submodels/demography.py)."""
        self.last_events = []
        if not self.demography_on:
            return
        self.last_events = [agent.life_event() if agent.alive else NONE
                            for agent in self.households]
        events = list(zip(self.households, self.last_events, strict=True))
        for agent, event in events:
            if event in (DISSOLVES, EMIGRATES):
                agent.alive, agent.reason = False, STAY
                self.occupied[agent.home] -= 1
                self.vacant[agent.home] += 1
                self.by_profile[agent.home][agent.profile] -= 1
        self.movers = [agent for agent in self.movers if agent.alive]
        under_30 = [1.0] + [0.0] * (N_AGES - 1)
        for parent in [agent for agent, event in events if event == LEAVES_HOME]:
            h = len(self.households)  # a young adult: a working profile of the place
            shares = self.young_shares[self.kind[parent.home]]
            profile = pick(accumulate(shares), self.uniform(h, crn.SYNTH_PROFILE))
            self.new_household(FORMATION, parent.home, profile, self.draw_age(h, under_30))
        for parent in [agent for agent, event in events if event == SEPARATES]:
            # the partner who leaves: the same profile and age
            self.new_household(FORMATION, parent.home, parent.profile, parent.age)
        expected = self.arrivals_per_month  # the draw of household 0 rounds the fraction
        arrivals = int(expected) + int(self.uniform(0, crn.IMMIGRATION) < expected - int(expected))
        for _ in range(arrivals):
            h = len(self.households)
            gateway = pick(self.gateway, self.uniform(h, crn.IMMIGRATION))
            profile = pick(accumulate(self.abroad_shares), self.uniform(h, crn.SYNTH_PROFILE))
            self.new_household(ABROAD, gateway, profile, self.draw_age(h, self.abroad_ages))

    def draw_age(self, h: int, shares: list[float]) -> int:
        """Age in months of new household ``h``: a class from ``shares`` (by age class),
        then a month uniform within it (population.households.draw_ages)."""
        lo, hi = class_range_months(pick(accumulate(shares),
                                         self.uniform(h, crn.SYNTH_AGE_CLASS)))
        return lo + math.floor(self.uniform(h, crn.SYNTH_AGE) * (hi - lo + 1))

    def new_household(self, reason: int, origin: int, profile: int, age: int) -> None:
        """Append a would-be household living nowhere yet, from ``origin``: a renter with
        a log-normal income around the origin's median, a job at the origin's pole if its
        profile works, the telework of the period; a mover of this month."""
        h = len(self.households)
        u, v = self.uniform(h, crn.SYNTH_INCOME), self.uniform(h, crn.SYNTH_INCOME_ANGLE)
        z = math.sqrt(-2 * math.log1p(-u)) * math.cos(2 * math.pi * v)
        sigma = self.income_sigma
        income = (self.median_income[origin] * self.income_index * self.income_factor[profile]
                  * math.exp(sigma * z - sigma**2 / 2))
        agent = self.agent_class(self, h, home=origin, profile=profile,
                                 job=self.pole[origin] if self.worker[profile] else -1,
                                 income=income, owner=False, telework_days=0,
                                 months_since_arrival=0, origin=-1, age=age, alive=False)
        agent.telework_days = agent.telework(self.period)
        agent.reason = reason
        self.households.append(agent)
        self.movers.append(agent)

    def choose(self) -> None:
        self.terms = self.territory_terms(self.preference)
        self.last_origin = {agent.index: agent.home for agent in self.movers}
        self.last_chosen = {agent.index: agent.choose() for agent in self.movers}

    def allocate(self) -> None:
        """Capacity lottery: movers served one at a time, in the order of their draws. A
        move within the home territory always succeeds; a move elsewhere takes a vacant
        dwelling and frees the mover's; a new household needs a vacant dwelling even in
        its origin and frees none."""
        self.last_moved = {}
        self.last_unmet = [0] * self.n
        for agent in sorted(self.movers, key=lambda a: a.draw(crn.LOTTERY)):
            origin, destination = agent.home, self.last_chosen[agent.index]
            new = agent.reason >= FORMATION
            moved = (destination == origin and not new) or self.vacant[destination] > 0
            if moved and (new or destination != origin):
                self.vacant[destination] -= 1
                if not new:  # the mover's dwelling is freed at once
                    self.vacant[origin] += 1
            if not moved:
                self.last_unmet[destination] += 1
            self.last_moved[agent.index] = moved

    def relocate(self) -> None:
        """Served movers move; a job changer who found no home near the new job (or
        dissolved, or emigrated) keeps the former job."""
        for agent in self.movers:
            if self.last_moved[agent.index]:
                agent.move(self.last_chosen[agent.index])
        for agent in self.job_changers:
            if not self.last_moved.get(agent.index, False):
                agent.job = agent.former_job

    def territory_terms(self, preference: dict[str, float]) -> list[list[float]]:
        """A[s][j]: the segment × territory part of utility this month (the profile's
        kind constant and amenity and service terms, the age class's kind constant,
        size, territory constants), one row per segment = profile × age class."""
        amen = [c * preference.get("amenities", 1.0) for c in self.coef["amenities"]]
        serv = [c * preference.get("services", 1.0) for c in self.coef["services"]]
        return [[self.kind_const[p][self.kind[j]] + amen[p] * self.amenities[j]
                 + serv[p] * self.services[j]
                 + self.size_coef * math.log1p(max(self.dwellings[j], 0)) + self.constants[j]
                 + self.age_const[a][self.kind[j]]
                 for j in range(self.n)]
                for p in range(len(self.profiles)) for a in range(N_AGES)]

    def pole_size(self, q: int) -> float:
        """Dwellings of employment pole ``q``, or those its jobs abroad weigh."""
        n = len(self.dwellings)
        return self.dwellings[q] if q < n else self.border_mass[q - n]

    def utility(self, j: int, segment: int, home: int, job: int, telework: float,
                inv_budget: float, bonus: float, around_job: bool = False) -> float:
        """Utility of territory ``j`` (formula in submodels/choice.py) for a household of
        ``segment`` living in ``home``, working in ``job`` (-1: none), teleworking the
        share ``telework`` of the week, with 1 / budget ``inv_budget``; ``around_job``: a
        move for a new job, chosen around it (no distance nor same-territory terms)."""
        c, (p, a) = self.coef, divmod(segment, N_AGES)
        v = (self.terms[segment][j] + c["cost"][p] * inv_budget * self.rent[j]
             + c["broadband"][p] * telework * self.broadband[j]
             + c["coworking"][p] * telework * self.coworking[j]
             + c["amenities_telework"][p] * telework * self.amenities[j]
             + bonus * self.urban_score[j])
        if not around_job:
            v += c["distance"][p] * self.distance_factor[a] * self.log_dist[home][j]
            if j == home:
                v += c["same_territory"][p]
        if job >= 0:
            v += c["commute"][p] * (1.0 - telework) * self.commute_min[j][job]
        return v

    def expected_flows(self) -> tuple[list[float], list[float]]:
        """Expected arrivals and departures per territory this month: move hazards times
        choice probabilities, over the household types of this month's decisions with the
        hazard-weighted means of 1 / budget and of the telework share."""
        arrivals, departures = [0.0] * self.n, [0.0] * self.n
        for (home, segment, job), (weight, inv_budget, telework) in sorted(
                self.type_sums.items()):
            safe = max(weight, 1e-300)
            utilities = [self.utility(j, segment, home, job, telework / safe,
                                      inv_budget / safe, 0.0) for j in range(self.n)]
            best = max(utilities)
            weights = [math.exp(v - best) for v in utilities]
            scale = weight / sum(weights)
            for j in range(self.n):
                if j != home:
                    arrivals[j] += weights[j] * scale
            departures[home] += weight - weights[home] * scale
        return arrivals, departures

    def demographic_demand(self) -> list[int]:
        """Dwellings demography asks for this month, per territory: the homes new
        households chose (served or not) minus those dissolved and emigrating households
        left."""
        net = [0] * self.n
        for h, destination in self.last_chosen.items():
            if self.households[h].reason >= FORMATION:
                net[destination] += 1
        for agent, event in zip(self.households, self.last_events, strict=False):
            if event in (DISSOLVES, EMIGRATES):  # (new households have no event)
                net[agent.home] -= 1
        return net

    def clear_market(self) -> None:
        """The national price level moves toward its income and rate target; local prices
        answer this month's expected flows, demography's demand, the new dwellings and
        smoothed vacancy; rents follow the IRL and the local price moves
        (submodels/market.py)."""
        target = (self.income_elasticity * math.log(self.income_index)
                  + self.rate_semi_elasticity * (self.rate - self.initial_rate))
        self.national += self.national_adjustment * (target - self.national)
        arrivals, departures = self.expected_flows()
        # demography's demand adds to the movers'; dwellings finished since the last
        # month are supply and count against it
        arrivals = [x + d - (self.dwellings[j] - self.market_dwellings[j]) for j, (x, d)
                    in enumerate(zip(arrivals, self.demographic_demand(), strict=True))]
        self.market_dwellings = list(self.dwellings)
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
        """New dwellings at the base rate, and more where the local price (without the
        national level) exceeds the cost of building (submodels/construction.py)."""
        national_index = math.exp(self.national)
        for j in range(self.n):
            stock = max(self.dwellings[j], 1)
            gap = max(self.price[j] / national_index / self.build_floor[j] - 1.0, 0.0)
            if self.construction_base > 0.0 or gap > 0.0:
                self.built[j] += stock * (self.construction_base + self.construction_rate * gap)
            new = int(self.built[j])
            if new > 0:
                self.built[j] -= new
                self.vacant[j] += new
                self.dwellings[j] += new

    def record(self) -> None:
        """The month's results stay in the ``last_*`` attributes."""

    def age(self) -> None:
        """The month ends: every living household's spell and reference person's age grow
        by a month (the segment follows the age class); workers past the retirement age
        retire at a yearly rate (submodels/ageing.py)."""
        self.last_retired = []
        for agent in self.living():
            agent.months_since_arrival += 1
            agent.age += 1
            if (self.worker[agent.profile] and agent.age >= self.retirement_age
                    and agent.draw(crn.RETIREMENT) < self.retirement_rate):
                agent.retire()
                self.last_retired.append(agent.index)
