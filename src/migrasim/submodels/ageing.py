"""Ageing: the month ends for every household."""

from __future__ import annotations

from typing import TYPE_CHECKING

from migrasim.submodels.base import Submodel

if TYPE_CHECKING:
    from migrasim.model import MigrationModel


class Ageing(Submodel):
    """Every household's spell in its territory grows by a month; household types left
    empty are dropped at the end of each year."""

    name = "ageing"
    title = "Ageing"

    def step(self, model: MigrationModel) -> None:
        model.households.months_since_arrival += 1
        if (model.month + 1) % 12 == 0:
            model.types.compact()
