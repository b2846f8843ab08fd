"""Shipped territory tables and the script that builds them (``migrasim.data.build``)."""
