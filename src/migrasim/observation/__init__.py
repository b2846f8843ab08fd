"""Observation (ODD §7): the monthly records, the indicators computed from them, figures
and maps."""
