"""Shipped territory tables and the script that builds them
(``python -m migrasim.territories.data.build``)."""
