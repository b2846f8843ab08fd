"""Numba kernels: the hot loops of the submodels, as pure functions over arrays.

Each takes the household arrays (``population.HouseholdArrays``) and small typed
bundles (NamedTuples) of parameters and tables, and draws its randomness from the
counter-based streams of ``migrasim.rng``, so results do not depend on the thread count.
"""
