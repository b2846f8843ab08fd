"""The model: a ``mesa.Model`` whose households are arrays and whose territories are agents.

One month, in this order (``MigrationModel.step``; see docs/odd.md):

1. policies act on their levers;
2. telework and shocks of the scenario for this month;
3. move decision (who considers moving, and why);
4. location choice (multinomial logit over every territory);
5. capacity lottery (only into vacant dwellings);
6. housing market (prices, rents, construction);
7. records.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import mesa
import numpy as np
from omegaconf import DictConfig, OmegaConf

from migrasim import calendar, capacity, choice, decision, demand, equilibrium, market, territories
from migrasim import rng as crn
from migrasim.config import compose, validate
from migrasim.households import KINDS, Households, positions, synthesize
from migrasim.records import Records
from migrasim.scenario import HIERARCHY, Scenario, telework_days

URBAN = ("paris", "metropole", "large_urban", "medium")
TYPE_CHUNKS = 8  # fixed split of the per-household pass (type sums are chunk-local)


class Territory(mesa.Agent):
    """An EPCI, exposing its current state (read from the model's arrays)."""

    def __init__(self, model: MigrationModel, index: int):
        super().__init__(model)
        self.index = index
        self.code = model.territories.codes[index]
        self.name = model.territories.df["name"].iat[index]

    @property
    def price_m2(self) -> float:
        return float(self.model.price[self.index])

    @property
    def rent_month(self) -> float:
        return float(self.model.rent[self.index])

    @property
    def households(self) -> int:
        return int(self.model.occupied[self.index])

    @property
    def vacancy(self) -> float:
        return float(self.model.vacant[self.index] / max(self.model.dwellings[self.index], 1))


def _per_profile(table: Mapping, profiles: list[str]) -> np.ndarray:
    return np.array([float(table[p]) for p in profiles])


class MigrationModel(mesa.Model):
    """Households choosing among territories each month, with housing-price feedback.

    ``MigrationModel(scenario="remote50", scale=0.001, rng=1)`` composes the config like
    the CLI; ``overrides`` takes extra hydra-style overrides, ``config`` a composed config.
    ``terr`` and ``constants`` reuse another run's study area and territory constants, so
    that a scenario and its comparison run share them (docs/odd.md §5).
    """

    def __init__(self, scenario: str | None = None, *, scale: float | None = None,
                 months: int | None = None, overrides: Iterable[str] = (),
                 config: DictConfig | None = None, terr: territories.Territories | None = None,
                 constants: np.ndarray | None = None, rng: int | None = None,
                 collect: bool = True):
        if config is None:
            args = list(overrides)
            if scenario is not None:
                args.append(f"scenario={scenario}")
            if scale is not None:
                args.append(f"scale={scale}")
            if months is not None:
                args.append(f"months={months}")
            if rng is not None:
                args.append(f"seed={int(rng)}")
            config = compose(args)
        validate(config)
        super().__init__(rng=int(config.seed))
        self.cfg = config
        self.seed = int(config.seed)
        self.scale = float(config.scale)
        self.months = int(config.months)
        self.start_month = calendar.parse(config.start, "start")
        self.month = self.start_month
        m = OmegaConf.to_container(config.model, resolve=True)
        self.profiles: list[str] = list(m["profiles"])
        workers = [p for p in self.profiles if p in m["workers"]]
        self.territories = terr if terr is not None else _study_area(config)
        self.scenario = Scenario(OmegaConf.to_container(config.scenario, resolve=True),
                                 self.profiles)
        self.households: Households = synthesize(self.territories, m["households"],
                                                 self.profiles, workers, self.scale, self.seed)
        self._setup_territories(m)
        self._setup_parameters(m)
        self._setup_tables()
        hh = self.households
        self.types = demand.TypeIndex(len(self.territories), len(self.profiles), hh.home,
                                      hh.profile, hh.job)
        self._period = self.scenario.period(self.start_month)
        hh.telework_days = telework_days(hh, self._period, self.seed)
        self.constants = np.zeros(len(self.territories))
        self.equilibrium: dict = {}
        if constants is not None:
            self.constants = np.asarray(constants, dtype=np.float64)
        elif m["equilibrium"]["enabled"]:
            self.constants, self.equilibrium = equilibrium.territory_constants(
                self, m["equilibrium"])
        self.policies = [_instantiate(p) for p in self.scenario.policies]
        self.records = Records(self)
        self.datacollector = mesa.DataCollector(model_reporters={
            "month": lambda mod: calendar.label(mod.month - 1),
            "movers": lambda mod: mod.last["movers"],
            "moved": lambda mod: mod.last["moved"],
            "mean_price_m2": lambda mod: float(np.average(mod.price, weights=mod.occupied + 1)),
        }) if collect else None
        for i in range(len(self.territories)):
            Territory(self, i)
        for policy in self.policies:
            policy.start(self)
        self.last = {"movers": 0, "moved": 0}
        self.running = True

    # ------------------------------------------------------------------ set-up
    def _setup_territories(self, m: Mapping) -> None:
        t = self.territories
        n = len(t)
        P = len(self.profiles)
        hh = self.households
        self.by_profile = np.bincount(hh.home.astype(np.int64) * P + hh.profile,
                                      minlength=n * P).reshape(n, P)
        self.occupied = self.by_profile.sum(axis=1)
        vacant = np.round(t.array("vacant") * self.scale).astype(np.int64)
        secondary = np.round(t.array("secondary") * self.scale).astype(np.int64)
        self.vacant = np.maximum(vacant, 1)
        self.dwellings = self.occupied + self.vacant + secondary
        self.vacancy0 = self.vacant / np.maximum(self.dwellings, 1)
        self.price = t.array("price_m2").copy()
        self.price0 = self.price.copy()
        self.rent = t.array("rent_month").copy()
        self.smoothed = np.zeros(n)
        self.built = np.zeros(n)
        self.build_floor = np.maximum(self.price0, m["market"]["construction_cost_m2"])
        dist = t.distance_km
        self.log_dist = np.log1p(dist / 10.0).astype(np.float64)
        c = m["choice"]
        road = OmegaConf.to_container(self.cfg.territory.priors.job_access, resolve=True)
        minutes_per_km = road["road_factor"] / road["speed_kmh"] * 60.0
        self.commute_min = minutes_per_km * dist + c["commute_access_min"]
        np.fill_diagonal(self.commute_min, c["commute_intra_min"])
        self.kind = np.array([KINDS.index(k) for k in t.df["kind"]], dtype=np.int64)
        self.hier = np.array([HIERARCHY.index(h) for h in t.df["hierarchy"]], dtype=np.int64)
        self.urban = np.isin(t.df["hierarchy"], URBAN).astype(np.float64)
        self.pole = positions(t, t.df["pole"].to_numpy())
        self.scores = {k: t.array(k) for k in ("amenities", "services", "broadband", "coworking")}
        self.policy_utility = np.zeros((len(self.profiles), n))
        self.newcomer_hazard = np.ones(n)
        self.construction_cap = np.full(n, np.inf)

    def _setup_parameters(self, m: Mapping) -> None:
        P = self.profiles
        mv, ch = m["move"], m["choice"]
        self.monthly_rate = decision.monthly(_per_profile(mv["annual_rate"], P))
        self.tenure_factor = np.array([mv["tenure_factor"]["owner"],
                                       mv["tenure_factor"]["renter"]])
        self.move_params = mv
        self.market_params = m["market"]
        self.max_commute = float(m["households"]["max_commute_min"])
        self.housing_factor = _per_profile(m["households"]["housing_factor"], P)
        self.coef = {k: _per_profile(ch[k], P) for k in
                     ("same_territory", "distance", "cost", "commute", "amenities", "services",
                      "broadband", "coworking", "amenities_telework")}
        self.kind_const = np.array([[ch["kind"][p][k] for k in KINDS] for p in P])
        self.size_coef = float(ch["size"])
        self._budget = self.households.income / self.housing_factor[self.households.profile]

    def _setup_tables(self) -> None:
        """The float32 lookup tables of the choice kernels that never change (choice.py)."""
        c, f32 = self.coef, choice.F32
        self._log_dist = self.log_dist.astype(f32)
        s = self.scores
        self._tele = (c["broadband"][:, None] * s["broadband"] + c["coworking"][:, None]
                      * s["coworking"] + c["amenities_telework"][:, None] * s["amenities"]
                      ).astype(f32)
        self._commute = np.ascontiguousarray(self.commute_min.T, dtype=f32)
        self._urban = self.urban.astype(f32)
        self._chunks = 64  # fixed split of the movers (each mover's choice is its own)
        sampling = self.cfg.model.choice.sampling
        self.sampled_alternatives = sampling.alternatives
        nearest = int(sampling.nearest)
        if nearest >= len(self.territories) - 1:  # nothing left to sample: full set
            self.sampled_alternatives = None
        if self.sampled_alternatives is not None:
            # importance distribution from the initial stock (any q > 0 keeps the
            # correction exact in expectation; it need not follow construction)
            self._sampling = choice.sampling_tables(
                self.log_dist, self.dwellings, float(sampling.distance_exponent), nearest)

    # --------------------------------------------------------------- the month
    def step(self) -> None:
        t = self.month
        hh = self.households
        for lever, value in ((self.policy_utility, 0.0), (self.newcomer_hazard, 1.0),
                             (self.construction_cap, np.inf)):
            lever.fill(value)
        for policy in self.policies:
            policy.step(self)

        period = self.scenario.period(t)
        if period is not self._period:  # telework changes only between periods
            hh.telework_days = telework_days(hh, period, self.seed)
            self._period = period
        shock, preference = self.scenario.shock(t, len(self.profiles))

        reason, type_sums = self.decide(t, shock)
        movers = np.flatnonzero(reason).astype(np.int64)
        why = reason[movers]

        tables = self.tables(self.territory_terms(preference))
        chosen = self.choose(t, movers, why, tables)

        origin = hh.home[movers]
        order = np.argsort(crn.uniforms(self.seed, movers, t, crn.LOTTERY), kind="stable")
        n = len(self.territories)
        unmet = np.zeros(n, dtype=np.int64)
        moved = capacity.allocate(order, chosen, origin, self.vacant, unmet)
        profile = hh.profile[movers]
        self._move(movers[moved], origin[moved], chosen[moved], why[moved])

        wanted = np.bincount(chosen[chosen != origin], minlength=n)
        arrivals, departures = demand.expected_flows(
            demand.household_types(self.types, type_sums), tables)
        mk = self.market_params
        market.clear(self.price, self.rent, self.smoothed, self.built, self.vacant,
                     self.dwellings, arrivals, departures,
                     self.vacancy0, self.build_floor, self.construction_cap, mk["response"],
                     mk["vacancy_weight"], mk["inertia"], mk["max_monthly_change"],
                     mk["rent_pass_through"], mk["construction_rate"])

        self.records.month(t, profile, origin, chosen, moved, why, wanted, unmet)
        self.last = {"movers": int(movers.size), "moved": int(moved.sum())}
        hh.months_since_arrival += 1
        self.month += 1
        if self.month % 12 == 0:
            self.types.compact()
        if self.datacollector is not None:
            self.datacollector.collect(self)
        if self.month >= self.start_month + self.months:
            self.running = False
            for policy in self.policies:
                policy.stop(self)

    def choose(self, month: int, movers: np.ndarray, reason: np.ndarray,
               tables: choice.Tables) -> np.ndarray:
        """Destination of each mover: over every territory, or over sampled alternatives
        if ``model.choice.sampling.alternatives`` is set."""
        hh = self.households
        args = (self.seed, month, movers, reason, hh.home, hh.profile, hh.job, self._budget,
                hh.telework_days, tables, float(self.move_params["return_urban_bonus"]),
                self._chunks)
        if self.sampled_alternatives is None:
            return choice.choose(*args)
        return choice.choose_sampled(*args, *self._sampling, int(self.sampled_alternatives))

    def decide(self, month: int, shock: np.ndarray | None = None) -> tuple:
        """Reason code per household for ``month`` and the hazard sums by household type
        (decision.decide); ``shock`` multiplies hazards by (profile, origin class)."""
        hh, mv = self.households, self.move_params
        if shock is None:
            shock = np.ones((len(self.profiles), len(HIERARCHY)))
        return decision.decide(
            self.seed, month, hh.home, hh.profile, hh.owner, self._budget,
            hh.months_since_arrival, self.rent, self.hier, self.monthly_rate,
            self.tenure_factor, mv["burden_ref"], mv["burden_slope"], shock,
            self.profiles.index("precarious"), mv["displacement_threshold"],
            mv["displacement_rate"], self.profiles.index("neo_rural"),
            HIERARCHY.index("small_rural"), decision.monthly(mv["neo_rural_failure_rate"]),
            mv["neo_rural_project_months"], self.newcomer_hazard, self.types.id,
            len(self.types), hh.telework_days, TYPE_CHUNKS)

    def budget(self) -> np.ndarray:
        """Income per unit of the territory's typical rent: rent burden = rent / budget
        (a read-only view of the model's array)."""
        view = self._budget.view()
        view.flags.writeable = False
        return view

    def territory_terms(self, preference: Mapping[str, float] | None = None) -> np.ndarray:
        """Profile × territory part of utility this month (territory constants included)."""
        pref = preference or {}
        return choice.territory_terms(
            self.kind_const, self.kind, self.coef["amenities"] * pref.get("amenities", 1.0),
            self.scores["amenities"], self.coef["services"] * pref.get("services", 1.0),
            self.scores["services"], self.size_coef, self.dwellings, self.policy_utility
        ) + self.constants[None, :]

    def tables(self, terms: np.ndarray) -> choice.Tables:
        """This step's lookup tables for the choice kernels, given the territory terms."""
        c, f32 = self.coef, choice.F32
        return choice.Tables(
            terms=terms.astype(f32), log_dist=self._log_dist,
            dist_coef=c["distance"].astype(f32), tele=self._tele,
            rent=self.rent.astype(f32), commute=self._commute, urban=self._urban,
            same=c["same_territory"].astype(f32), cost=c["cost"].astype(f32),
            commute_coef=c["commute"].astype(f32))

    def _move(self, who: np.ndarray, origin: np.ndarray, dest: np.ndarray,
              why: np.ndarray) -> None:
        hh = self.households
        elsewhere = dest != origin
        hh.origin[who[elsewhere]] = origin[elsewhere]
        hh.months_since_arrival[who[elsewhere]] = 0
        hh.home[who] = dest
        np.add.at(self.occupied, origin, -1)
        np.add.at(self.occupied, dest, 1)
        np.add.at(self.by_profile, (origin, hh.profile[who]), -1)
        # A failed neo-rural project ends: the household goes back to ordinary work.
        failed = who[why == decision.RETURN]
        hh.profile[failed] = self.profiles.index("stable")
        self._budget[failed] = hh.income[failed] / self.housing_factor[hh.profile[failed]]
        np.add.at(self.by_profile, (dest, hh.profile[who]), 1)
        # Workers who moved beyond commuting range take a job near their new home.
        w = who[hh.job[who] >= 0]
        far = self.commute_min[hh.home[w], hh.job[w]] > self.max_commute
        far &= hh.telework_days[w] < 5
        hh.job[w[far]] = self.pole[hh.home[w[far]]]
        neo = who[(hh.profile[who] == self.profiles.index("neo_rural")) & elsewhere]
        hh.job[neo] = hh.home[neo]
        self.types.update(who, hh.home, hh.profile, hh.job)


def _study_area(config: DictConfig) -> territories.Territories:
    t = territories.load(area=config.territory.area, overrides=config.territory.overrides,
                         config=OmegaConf.to_container(config.territory, resolve=True))
    deps = config.territory.get("departements")
    if deps:
        where = t.select(departement=[str(d) for d in deps])
        if len(where) == 0:
            from migrasim.config import ConfigError

            raise ConfigError("territory.departements", list(deps),
                              "département codes of the study area, e.g. ['12', '48']")
        t = t.subset(where)
    return t


def _instantiate(spec):
    from hydra.errors import InstantiationException
    from hydra.utils import instantiate

    from migrasim.config import ConfigError

    try:
        return instantiate(spec, _convert_="all")
    except InstantiationException as err:
        if isinstance(err.__cause__, ConfigError):
            raise err.__cause__ from None
        raise ConfigError("scenario.policies", spec.get("_target_"),
                          f"a policy class accepting these options ({err.__cause__})") from None
