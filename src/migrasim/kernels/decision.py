"""Move decision kernel: each household's reason to move this month, and the hazard sums
by household type that the market's expected demand is made of."""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np

from migrasim.rng import DISPLACEMENT, FAILURE, JOB, MOVE, draw, stream

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
    not depend on the thread count; a type's three sums sit side by side, so that each
    household adds into one cache line of a table far larger than the caches. Draws are
    keyed by the household's key, whose stream is mixed once for its draws."""
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
    # per-segment and per-day tables, so that the loop neither divides nor takes a modulo
    # (the same float operations, done once)
    job_rate_by_segment = np.empty(monthly_rate.shape[0])
    for s in range(monthly_rate.shape[0]):
        job_rate_by_segment[s] = job_rate[s % n_ages]
    telework_term = np.empty(128)  # days a week are int8, 0-5
    for d in range(128):
        telework_term[d] = 1.0 + telework_factor * np.float64(d) / 5.0
    n = home.shape[0]
    reason = np.zeros(n, dtype=np.int8)
    sums = np.zeros((chunks, n_types, 3))
    size = (n + chunks - 1) // chunks
    for c in nb.prange(chunks):
        for h in range(c * size, min(n, (c + 1) * size)):
            if not alive[h]:
                continue
            # branch-free: tenure, burden, newcomer status and the job are as good as
            # random from one household to the next, so tests on them would mispredict;
            # both sides are computed and one is selected (the same numbers as the tests)
            j = home[h]
            p = profile[h]
            s = segment[h]
            renter = not owner[h]
            ratio = rent[j] / budget[h]
            burden = ratio if renter else 0.0
            lever = newcomer_hazard[p, j]  # loaded unconditionally: a select, not a branch
            retention = lever if since[h] < NEWCOMER_MONTHS else 1.0
            hz = (monthly_rate[s] * tenure_factor[np.int64(renter)] * shock[p, hier[j]]
                  * telework_term[telework[h]])
            hz *= 1.0 + burden_slope * (burden - burden_ref) if burden > burden_ref else 1.0
            hz *= retention
            t = type_id[h]
            hw = hz * weight[h]
            sums[c, t, 0] += hw
            sums[c, t, 1] += hw / budget[h]
            sums[c, t, 2] += hw * telework[h]
            # reasons from the least to the most pressing, each overriding the last; the
            # forced ones are rare, so their tests predict well
            k = stream(seed, key[h])
            r = ORDINARY if draw(k, month, MOVE) < hz else STAY
            changes = draw(k, month, JOB) < job_rate_by_segment[s]
            r = JOB_CHANGE if changes & (job[h] >= 0) else r
            young = since[h] < project_months
            if ((fragile >> p) & 1) & young & ((failure_classes >> hier[j]) & 1):
                if draw(k, month, FAILURE) < failure_rate * retention:
                    r = RETURN
            if ((displaceable >> p) & 1) & renter & (burden > displacement_threshold):
                if draw(k, month, DISPLACEMENT) < displacement_rate * displacement_hazard[p, j]:
                    r = DISPLACED
            reason[h] = r
    total = np.empty((3, n_types))
    for t in nb.prange(n_types):
        for i in range(3):
            x = sums[0, t, i]
            for c in range(1, chunks):
                x += sums[c, t, i]
            total[i, t] = x
    return reason, total


def bits(members) -> int:
    """A set of small indices as the bits of an integer (role tests without a memory load
    in the per-household loop)."""
    return sum(1 << int(i) for i in members)


def monthly(annual) -> np.ndarray:
    """Monthly probability equivalent to an annual one."""
    return 1.0 - (1.0 - np.asarray(annual, dtype=np.float64)) ** (1.0 / 12.0)
