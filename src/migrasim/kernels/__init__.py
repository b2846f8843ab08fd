"""Numba kernels: the hot loops of the submodels, as pure functions over arrays.

Each takes arrays — the household arrays as one bundle (``population.HouseholdArrays``)
where it works per household — and small typed bundles (NamedTuples) of parameters and
tables, and draws its randomness from the counter-based streams of ``migrasim.rng``, so
results do not depend on the thread count.
"""
