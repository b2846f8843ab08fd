"""The choice kernels: float32 lookup tables, the polynomial exp, sampled alternatives."""

import numpy as np
import pytest

from migrasim.ages import AGE_CLASSES, N_AGES
from migrasim.kernels import choice
from migrasim.kernels.decision import JOB_CHANGE, ORDINARY, RETURN
from migrasim.model import MigrationModel

N_MOVERS = 30_000


@pytest.fixture(scope="module")
def model():
    return MigrationModel("remote50", scale=0.002, months=1, rng=5, collect=False,
                          overrides=["model.choice.sampling.alternatives=16"])


def _softmax64(m, s, o, w, tw, inv_budget, bonus=0.0, around_job=False):
    """The utilities of the choice formula in float64, straight from the model's arrays
    and the configuration: segment ``s`` is profile ``p`` × age class ``a``, whose class
    scales the profile's distance coefficient; a move around a new job has no distance
    nor same-territory term."""
    ch = m.submodels.choice
    c, sc = ch.coef, ch.scores
    p, a = divmod(s, N_AGES)
    factor = m.config.model.choice.age.distance_factor[AGE_CLASSES[a]]
    v = (ch.territory_terms(m)[s]
         + c["cost"][p] * inv_budget * m.submodels.market.rent
         + tw * (c["broadband"][p] * sc["broadband"] + c["coworking"][p]
                 * sc["coworking"] + c["amenities_telework"][p] * sc["amenities"])
         + bonus * ch.urban)
    if not around_job:
        v = v + c["distance"][p] * factor * ch.log_dist[o]
        v[o] += c["same_territory"][p]
    if w >= 0:
        v = v + c["commute"][p] * (1 - tw) * ch.commute_min[:, w]
    e = np.exp(v - v.max())
    return e / e.sum()


def test_the_territory_terms_of_a_segment_add_its_age_class_constants_by_kind(model):
    """A[p × N_AGES + a, j] − A[p × N_AGES, j] = age.kind[a][kind(j)] − age.kind[under_30][kind(j)]
    for every profile p: the age class shifts the profile's constants by destination kind."""
    m = model
    terms = m.submodels.choice.territory_terms(m)
    age, kinds = m.config.model.choice.age, m.territories.df["kind"]
    assert terms.shape == (len(m.profiles) * N_AGES, len(m.territories))
    const = np.array([[age.kind[a][k] for k in kinds] for a in AGE_CLASSES])
    for p in range(len(m.profiles)):
        rows = terms[p * N_AGES:(p + 1) * N_AGES]
        np.testing.assert_allclose(rows - rows[0], const - const[0], atol=1e-12)


def test_float32_probabilities_match_float64_logit(model):
    m = model
    ch = m.submodels.choice
    tables = ch.lookup(m, ch.territory_terms(m))
    hh = m.households
    bonus = tables.return_bonus
    seen = set()
    for h in np.random.default_rng(0).choice(len(hh), 300, replace=False):
        s, o, w = int(hh.segment[h]), int(hh.home[h]), int(hh.job[h])
        tw, inv_budget = hh.telework_days[h] / 5, 1 / hh.budget[h]
        seen.add(s)
        for reason in (ORDINARY, RETURN, JOB_CHANGE):
            b = bonus if reason == RETURN else 0.0
            around_job = reason == JOB_CHANGE
            fast = choice.probabilities(tables, s, o, w, tw, inv_budget, b, around_job)
            exact = _softmax64(m, s, o, w, tw, inv_budget, b, around_job)
            assert np.abs(fast - exact).max() < 2e-6, (h, reason)
            assert abs(fast.sum() - 1) < 1e-5
    assert len({s % N_AGES for s in seen}) >= 4  # several age classes were checked


def test_alias_tables_draw_the_importance_distribution_beyond_the_nearest():
    rng = np.random.default_rng(1)
    log_dist = np.log1p(rng.uniform(0, 50, (6, 6)))
    log_dist = (log_dist + log_dist.T) / 2
    np.fill_diagonal(log_dist, 0)
    near, log_q, threshold, alias = choice.sampling_tables(
        log_dist, rng.uniform(10, 1000, 6), 1.5, nearest=2)
    q = np.exp(log_q.astype(float))
    for o in range(6):
        others = np.argsort(np.where(np.arange(6) == o, np.inf, log_dist[o]))
        assert sorted(near[o]) == sorted(others[:2])  # the two nearest, home excluded
        # probability of each outcome under "pick a column, keep it or take its alias"
        implied = np.zeros(6)
        for i in range(6):
            implied[i] += threshold[o, i] / 6
            implied[alias[o, i]] += (1 - threshold[o, i]) / 6
        assert implied[o] < 1e-6 and implied[near[o]].max() < 1e-6  # never drawn
        np.testing.assert_allclose(implied, q[o], atol=1e-6)


def test_sampled_alternatives_reproduce_flows_by_hierarchy_class(model):
    """The home, its 16 nearest territories and 16 others drawn by distance (McFadden's
    correction) give the shares of
    moves by destination class and by (origin, destination) class of the full choice
    set within one percentage point."""
    m = model
    ch, hh, hier = m.submodels.choice, m.households, m.territories.hierarchy_index
    movers = np.sort(np.random.default_rng(2).choice(len(hh), N_MOVERS, replace=False))
    reason = np.ones(N_MOVERS, dtype=np.int8)
    tables = ch.lookup(m, ch.territory_terms(m))
    sampled = ch.choose(m, m.month, movers, reason, tables)
    sample, ch.sample = ch.sample, None
    try:
        full = ch.choose(m, m.month, movers, reason, tables)
    finally:
        ch.sample = sample
    assert (sampled != full).mean() > 0.2  # genuinely different draws, compared in law
    origin = hier[hh.home[movers]]

    def shares(chosen):
        return (np.bincount(hier[chosen], minlength=5) / N_MOVERS,
                np.bincount(origin * 5 + hier[chosen], minlength=25) / N_MOVERS)

    (dest_s, od_s), (dest_f, od_f) = shares(sampled), shares(full)
    assert np.abs(dest_s - dest_f).max() < 0.01
    assert np.abs(od_s - od_f).max() < 0.01
    same_s = (sampled == hh.home[movers]).mean()
    same_f = (full == hh.home[movers]).mean()
    assert abs(same_s - same_f) < 0.02


def test_an_area_too_small_to_sample_uses_every_territory():
    m = MigrationModel("baseline", scale=0.01, months=1, collect=False, overrides=[
        'territory.departements=["48"]', "model.choice.sampling.alternatives=16"])
    assert len(m.territories) <= 17 and m.submodels.choice.sample is None


def test_a_draw_rounded_up_to_the_total_never_picks_a_territory_without_weight():
    v = np.zeros(choice.BLOCK * 2, dtype=choice.F32)
    v[3], v[5] = 1.0, 2.0
    blocks = v.reshape(2, choice.BLOCK).sum(axis=1)
    assert choice._pick(v, blocks, blocks.sum(), 20) == 5
    assert choice._pick(v, blocks, choice.F32(0.5), 20) == 3
