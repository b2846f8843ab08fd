"""Months as integers (year × 12 + month − 1), and back to 'YYYY-MM' labels."""

from __future__ import annotations

import re

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse(label: str) -> int:
    """Absolute month number of a 'YYYY-MM' label."""
    m = _MONTH.match(str(label))
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"{label!r} is not a month written 'YYYY-MM'")
    return int(m.group(1)) * 12 + int(m.group(2)) - 1


def label(absolute: int) -> str:
    return f"{absolute // 12:04d}-{absolute % 12 + 1:02d}"
