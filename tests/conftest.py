import os

import pytest

from migrasim.experiments.launch import cores

os.environ.setdefault("MPLBACKEND", "Agg")

# more local workers than cores are refused (workers × threads ≤ cores): tests of two
# workers side by side need two cores
two_cores = pytest.mark.skipif(cores() < 2, reason="two local workers need two cores")
