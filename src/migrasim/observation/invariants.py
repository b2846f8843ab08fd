"""Runtime invariants, checked after every month's schedule (``MigrationModel.step``):
a run whose state has gone wrong stops where it went wrong, instead of writing results
that look complete. The checks are a few vectorised passes over the territories and one
(a numba kernel) over the households: ≈ COST at scale 0.1 (docs/architecture.md).

A violation raises :class:`~migrasim.errors.InvariantError` naming the invariant, the
first EPCI breaking it (code and name) and the month.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from migrasim import calendar
from migrasim.errors import InvariantError
from migrasim.kernels import invariants as kernel

if TYPE_CHECKING:
    from migrasim.model import MigrationModel

# float sums of household weights: a relative error of 1e-9 covers their rounding over
# millions of households (design); an absolute 1e-6 base units covers counts near zero
RTOL, ATOL = 1e-9, 1e-6


def check(model: MigrationModel) -> None:
    """Raise ``InvariantError`` if the state after this month's schedule breaks one of:
    the living households' weights by home are the stock's occupied dwellings; occupied
    dwellings ≤ dwellings; vacant dwellings ≥ 0; prices and rents finite and > 0; this
    month's recorded row finite."""
    hh, stock, n = model.households, model.stock, len(model.territories)
    living = kernel.living_weights(hh.home, hh.alive, hh.weight, n)
    _require(model, "households living here = occupied dwellings",
             np.isclose(living, stock.occupied, rtol=RTOL, atol=ATOL),
             lambda i: f"households' weights {living[i]:.10g}, occupied {stock.occupied[i]:.10g}")
    _require(model, "occupied dwellings <= dwellings",
             stock.occupied <= stock.dwellings * (1 + RTOL) + ATOL,
             lambda i: f"occupied {stock.occupied[i]:.10g}, dwellings {stock.dwellings[i]:.10g}")
    _require(model, "vacant dwellings >= 0", stock.vacant >= -ATOL,
             lambda i: f"vacant {stock.vacant[i]:.10g}")
    if "market" in model.submodels:
        market = model.submodels.market
        for what, values in (("price_m2", market.price), ("rent_month", market.rent)):
            _require(model, f"{what} finite and > 0", np.isfinite(values) & (values > 0),
                     lambda i, v=values: f"{v[i]:.10g}")
    if "records" in model.submodels and model.submodels.records.rows:
        for column, values in model.submodels.records.rows[-1].items():
            values = np.asarray(values)
            if values.dtype.kind == "f":
                _require(model, "recorded values finite", np.isfinite(values),
                         lambda i, c=column, v=values: f"{c} = {v[i]:.10g}")


def _require(model: MigrationModel, invariant: str, holds: np.ndarray, detail) -> None:
    """Raise for the first territory where ``holds`` is false (``detail(i)``: the values)."""
    if holds.all():
        return
    bad = np.flatnonzero(~holds)
    i = int(bad[0])
    others = f" (and {bad.size - 1} other EPCI)" if bad.size > 1 else ""
    t = model.territories
    raise InvariantError(
        f"invariant '{invariant}' broken in EPCI {t.codes[i]} {t.df['name'].iat[i]}"
        f"{others} in {calendar.label(model.month)}: {detail(i)}")
