"""The synthetic population: households as arrays, and their types for the market."""

from migrasim.population.households import HouseholdArrays, HouseholdParams, Households, synthesize
from migrasim.population.types import TypeIndex, household_types

__all__ = ["HouseholdArrays", "HouseholdParams", "Households", "TypeIndex", "household_types",
           "synthesize"]
