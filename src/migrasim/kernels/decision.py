"""Move decision kernel: each household's reason to move this month, and the hazard sums
by household type that the market's expected demand is made of."""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np

from migrasim.rng import DISPLACEMENT, FAILURE, JOB, MOVE, uniform

# Reasons to move. ORDINARY is a housing or family move; TELEWORK is an ordinary move
# that kept a job only telework makes reachable (labelled by the relocation); FORMATION
# and ABROAD are new households (demography).
STAY, ORDINARY, DISPLACED, RETURN, JOB_CHANGE, TELEWORK, FORMATION, ABROAD = range(8)
REASONS = ("stay", "housing_family", "displaced", "failed_project", "job_change",
           "telework", "new_household", "from_abroad")
NEWCOMER_MONTHS = 36  # households that arrived less than three years ago are "newcomers"


class Hazards(NamedTuple):
    """The decision rules, as arrays and numbers."""

    monthly_rate: np.ndarray            # (segments,): ordinary monthly move probability
    job_rate: np.ndarray                # (age classes,): monthly job change beyond reach
    n_ages: int                         # age classes (segment = profile × n_ages + class)
    tenure_factor: np.ndarray           # (owner, renter)
    burden_ref: float                   # rent burden above which the hazard rises
    burden_slope: float
    telework_factor: float              # hazard × (1 + factor × telework share of the week)
    displaceable: int                   # bit p set: renters of profile p can be priced out
    displacement_threshold: float       # rent burden
    displacement_rate: float            # monthly
    fragile: int                        # bit p set: projects of profile p can fail
    failure_classes: int                # bit c set: where (hierarchy class c) they can fail
    failure_rate: float                 # monthly
    project_months: int                 # a project can fail while this young


class Conditions(NamedTuple):
    """This month's territory-side inputs."""

    rent: np.ndarray             # (territories,) €/month
    hier: np.ndarray             # (territories,) urban-hierarchy class
    shock: np.ndarray            # (profiles, classes): hazard multipliers by origin class
    newcomer_hazard: np.ndarray  # (profiles, territories): policy lever on newcomers' hazards
    displacement_hazard: np.ndarray  # (profiles, territories): policy lever on displacement


@nb.njit(parallel=True, cache=True)
def decide(seed, month, hh, where, hazards, type_id, n_types, chunks):
    """Reason code per household (STAY, ORDINARY, DISPLACED, RETURN, JOB_CHANGE for a
    worker whose job changes beyond commuting range), and, in the same pass, the sums
    by household type of the ordinary hazard, of hazard / budget and of
    hazard × telework days, each household's hazard counted by its weight: the expected
    demand the market answers. Type sums are chunk-local over a fixed split, so they do
    not depend on the thread count. Draws are keyed by the household's key."""
    home = hh.home  # one statement per array (see kernels/synthesis.py)
    profile = hh.profile
    owner = hh.owner
    budget = hh.budget
    since = hh.months_since_arrival
    telework = hh.telework_days
    segment = hh.segment
    alive = hh.alive
    job = hh.job
    weight = hh.weight
    key = hh.key
    rent = where.rent
    hier = where.hier
    shock = where.shock
    newcomer_hazard = where.newcomer_hazard
    displacement_hazard = where.displacement_hazard
    monthly_rate = hazards.monthly_rate
    job_rate = hazards.job_rate
    n_ages = hazards.n_ages
    tenure_factor = hazards.tenure_factor
    burden_ref = hazards.burden_ref
    burden_slope = hazards.burden_slope
    telework_factor = hazards.telework_factor
    displaceable = hazards.displaceable
    displacement_threshold = hazards.displacement_threshold
    displacement_rate = hazards.displacement_rate
    fragile = hazards.fragile
    failure_classes = hazards.failure_classes
    failure_rate = hazards.failure_rate
    project_months = hazards.project_months
    n = home.shape[0]
    reason = np.zeros(n, dtype=np.int8)
    sums = np.zeros((chunks, 3, n_types))
    size = (n + chunks - 1) // chunks
    for c in nb.prange(chunks):
        for h in range(c * size, min(n, (c + 1) * size)):
            if not alive[h]:
                continue
            j = home[h]
            p = profile[h]
            s = segment[h]
            burden = rent[j] / budget[h] if not owner[h] else 0.0
            newcomer = since[h] < NEWCOMER_MONTHS
            retention = newcomer_hazard[p, j] if newcomer else 1.0
            hz = (monthly_rate[s] * tenure_factor[0 if owner[h] else 1] * shock[p, hier[j]]
                  * (1.0 + telework_factor * telework[h] / 5.0))
            if burden > burden_ref:
                hz *= 1.0 + burden_slope * (burden - burden_ref)
            hz *= retention
            t = type_id[h]
            hw = hz * weight[h]
            sums[c, 0, t] += hw
            sums[c, 1, t] += hw / budget[h]
            sums[c, 2, t] += hw * telework[h]
            k = key[h]
            if (displaceable >> p) & 1 and not owner[h] and burden > displacement_threshold:
                if (uniform(seed, k, month, DISPLACEMENT)
                        < displacement_rate * displacement_hazard[p, j]):
                    reason[h] = DISPLACED
                    continue
            if ((fragile >> p) & 1 and since[h] < project_months
                    and (failure_classes >> hier[j]) & 1):
                if uniform(seed, k, month, FAILURE) < failure_rate * retention:
                    reason[h] = RETURN
                    continue
            if job[h] >= 0 and uniform(seed, k, month, JOB) < job_rate[s % n_ages]:
                reason[h] = JOB_CHANGE
                continue
            if uniform(seed, k, month, MOVE) < hz:
                reason[h] = ORDINARY
    total = sums[0].copy()
    for c in range(1, chunks):
        total += sums[c]
    return reason, total


def bits(members) -> int:
    """A set of small indices as the bits of an integer (role tests without a memory load
    in the per-household loop)."""
    return sum(1 << int(i) for i in members)


def monthly(annual) -> np.ndarray:
    """Monthly probability equivalent to an annual one."""
    return 1.0 - (1.0 - np.asarray(annual, dtype=np.float64)) ** (1.0 / 12.0)
