"""Name keys for matching French place names across sources."""

from __future__ import annotations

import re
import unicodedata

_SAINT = re.compile(r"\b(saint|sainte)\b")


def normalise(name: str) -> str:
    """Key robust to accents, case, hyphens, apostrophes and Saint/St spellings."""
    s = unicodedata.normalize("NFKD", name)
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).lower()
    s = re.sub(r"[-'’`_.,/()]", " ", s)
    s = _SAINT.sub(lambda m: "st" if m.group(1) == "saint" else "ste", s)
    return " ".join(s.split())
