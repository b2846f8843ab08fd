"""Parameter types: what a submodel declares about each of its parameters.

Every submodel owns a :class:`Params` model (pydantic) naming its parameters with their
types, ranges and relations; ``migrasim.config`` assembles them into the schema of the
whole config tree and checks a config once, before any work starts. The types here
carry the text of what is allowed, so that every error reads as one line:
``model.move.annual_rate.retiree: 1.5 is not allowed; allowed: a number in [0.0, 1.0]``.

Tables keyed by profile are checked against the config's own profile list
(``model.profiles``, passed as validation context), so profiles are data, not names in
the code.
"""

from __future__ import annotations

import difflib
import math
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Annotated, Any, get_args, get_origin

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationError,
    ValidationInfo,
)
from pydantic_core import PydanticCustomError

from migrasim import calendar
from migrasim.ages import AGE_CLASSES
from migrasim.errors import ConfigError
from migrasim.territories.classification import HIERARCHY, KINDS

ERROR = "migrasim"  # pydantic error type of every check below


class Params(BaseModel):
    """Parameters of a submodel or config section: unknown keys are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Allowed(str):
    """What a type allows, in words (Annotated metadata, read by the error messages)."""


def fail(allowed: str, *, key: str | None = None, value: Any = None,
         problem: str | None = None) -> PydanticCustomError:
    """The error of a check: ``key`` extends the location (an entry of a table)."""
    return PydanticCustomError(ERROR, "{allowed}", {"allowed": allowed, "key": key,
                                                    "value": value, "problem": problem})


def suggest(name: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(name), list(options), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _span(lo, hi, lo_open: bool, hi_open: bool) -> str:
    if lo is not None and hi is not None:
        return f" in {'(' if lo_open else '['}{lo}, {hi}{')' if hi_open else ']'}"
    if lo is not None:
        return f" {'>' if lo_open else '≥'} {lo}"
    if hi is not None:
        return f" {'<' if hi_open else '≤'} {hi}"
    return ""


def number(lo: float | None = None, hi: float | None = None, *, lo_open: bool = False,
           hi_open: bool = False, integer: bool = False, optional: bool = False):
    """A finite number (or integer) within bounds; ``optional`` also allows null."""
    allowed = ("an integer" if integer else "a number") + _span(lo, hi, lo_open, hi_open)
    if optional:
        allowed = f"null or {allowed}"

    def check(value):
        if value is None and optional:
            return None
        ok = (not isinstance(value, bool) and isinstance(value, int | float)
              and (isinstance(value, int) or not integer) and math.isfinite(value))
        if ok and lo is not None:
            ok = value > lo if lo_open else value >= lo
        if ok and hi is not None:
            ok = value < hi if hi_open else value <= hi
        if not ok:
            raise fail(allowed)
        return int(value) if integer else float(value)

    return Annotated[Any, BeforeValidator(check), Allowed(allowed)]


Probability = number(0.0, 1.0)
Positive = number(0.0, lo_open=True)
NonNegative = number(0.0)
NonPositive = number(hi=0.0)
Real = number()


def one_of(options: Iterable[str], what: str = "one of"):
    """A string among ``options``."""
    options = tuple(options)
    allowed = f"{what} {list(options)}"

    def check(value):
        if not isinstance(value, str) or value not in options:
            raise fail(allowed + suggest(value, options))
        return value

    return Annotated[Any, BeforeValidator(check), Allowed(allowed)]


def _month(value):
    try:
        calendar.parse(value)
    except ValueError:
        raise fail("a month written 'YYYY-MM'") from None
    return str(value)


def ordered(first: str | None, last: str | None) -> None:
    """Refuse a period whose last month (``until``) precedes its first (``from``)."""
    if first and last and calendar.parse(last) < calendar.parse(first):
        raise fail(f"a month at or after 'from' ({first})", key="until", value=last)


Month = Annotated[Any, BeforeValidator(_month), Allowed("a month written 'YYYY-MM'")]


def _text(value):
    if not isinstance(value, str) or not value.strip():
        raise fail("a non-empty string")
    return value


Text = Annotated[Any, BeforeValidator(_text), Allowed("a non-empty string")]


def _departements(value):
    """Département codes: a non-empty list (numbers read by hydra become strings)."""
    if value is None:
        return None
    if (not isinstance(value, list) or not value
            or not all(isinstance(v, str | int) and not isinstance(v, bool) for v in value)):
        raise fail("null or a non-empty list of département codes, e.g. ['12', '48']")
    return [str(v) for v in value]


Departements = Annotated[Any, BeforeValidator(_departements),
                         Allowed("null or a non-empty list of département codes")]


def _flag(value):
    if not isinstance(value, bool):
        raise fail("true or false")
    return value


Flag = Annotated[Any, BeforeValidator(_flag), Allowed("true or false")]


def _keyed(expected: Callable[[ValidationInfo], tuple[str, ...] | None], what: str,
           partial: bool):
    """Check a table's keys: every expected key present (unless ``partial``), no other."""

    def check(table: dict, info: ValidationInfo):
        keys = expected(info)
        if keys is None:
            return table
        for name, value in table.items():
            if name not in keys:
                raise fail(f"{what} {list(keys)}{suggest(name, keys)}", key=name, value=value,
                           problem=f"unknown key {name!r}")
        if not partial:
            for name in keys:
                if name not in table:
                    raise fail(f"a value for every one of {what} {list(keys)}", key=name,
                               problem="missing")
        return table

    check.keys, check.complete = expected, not partial  # read by open_table
    return AfterValidator(check)


def _context(name: str) -> Callable[[ValidationInfo], tuple[str, ...] | None]:
    def get(info: ValidationInfo | None):
        context = getattr(info, "context", None)
        return tuple(context[name]) if context and name in context else None
    return get


def per_profile(value: Any, *, workers: bool = False):
    """A table with one entry per profile (or per working profile)."""
    role = "workers" if workers else "profiles"
    what = "the working profiles" if workers else "the profiles"
    return Annotated[dict[str, value], _keyed(_context(role), what, False)]


def per_kind(value: Any):
    """A table with one entry per EPCI kind."""
    return keyed(value, KINDS, "the EPCI kinds", partial=False)


def per_age(value: Any, partial: bool = False):
    """A table with one entry per age class of the reference person (some if ``partial``)."""
    return keyed(value, AGE_CLASSES, "the age classes", partial=partial)


def keyed(value: Any, keys: Iterable[str], what: str, partial: bool = True):
    """A table whose keys are among ``keys`` (all of them unless ``partial``)."""
    keys = tuple(keys)
    return Annotated[dict[str, value], _keyed(lambda _: keys, what, partial)]


def per_class(value: Any):
    """A table with entries for some urban-hierarchy classes."""
    return keyed(value, HIERARCHY, "the urban-hierarchy classes")


def _profile(role: str, what: str):
    def check(value, info: ValidationInfo):
        names = _context(role)(info)
        if names is not None and value not in names:
            raise fail(f"one of {what} {list(names)}{suggest(value, names)}")
        return value

    return Annotated[str, AfterValidator(check), Allowed(f"one of {what}")]


Profile = _profile("profiles", "the profiles")
HierarchyClass = one_of(HIERARCHY, "one of the urban-hierarchy classes")


def table_array(table: Mapping, keys: Iterable[str]) -> np.ndarray:
    """A table's values as a float64 array in the order of ``keys`` (e.g. the profiles)."""
    return np.array([float(table[k]) for k in keys])


# ------------------------------------------------------------------- error messages
def config_error(err: ValidationError, root: type[BaseModel], prefix: str = "") -> ConfigError:
    """The first error of a validation against ``root`` as a one-line ConfigError whose
    key is ``prefix`` followed by the location."""
    e = err.errors(include_url=False)[0]
    loc = list(e["loc"])
    ctx = e.get("ctx") or {}
    if e["type"] == ERROR:
        if ctx.get("key"):
            loc += str(ctx["key"]).split(".")
            value = ctx.get("value")
        else:
            value = e.get("input")
        return ConfigError(_dotted(prefix, loc), value, ctx["allowed"], problem=ctx.get("problem"))
    key = _dotted(prefix, loc)
    if e["type"] == "extra_forbidden":
        keys = keys_at(root, loc[:-1])
        return ConfigError(key, e.get("input"), f"the keys {keys}{suggest(loc[-1], keys)}",
                           problem=f"unknown key {loc[-1]!r}")
    allowed = _allowed_at(root, loc) or e["msg"][0].lower() + e["msg"][1:]
    if e["type"] == "missing":
        return ConfigError(key, None, allowed, problem="missing")
    return ConfigError(key, e.get("input"), allowed)


def _dotted(prefix: str, loc: list) -> str:
    key = prefix
    for part in loc:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key


def _strip(ann, meta: list) -> tuple[Any, list]:
    """``ann`` without Annotated and Optional; Annotated metadata gathered in ``meta``."""
    while True:
        origin, args = get_origin(ann), get_args(ann)
        if origin is Annotated:
            ann, meta = args[0], meta + list(args[1:])
        elif origin in (typing.Union, types.UnionType) and type(None) in args:
            rest = [a for a in args if a is not type(None)]
            ann = rest[0] if len(rest) == 1 else Any
        else:
            return ann, meta


def _is_model(ann) -> bool:
    return isinstance(ann, type) and issubclass(ann, BaseModel)


def _at(root: type[BaseModel], loc: list) -> tuple[Any, list] | None:
    """The annotation (and its metadata) at ``loc`` under ``root``."""
    ann, meta = root, []
    for part in loc:
        ann, meta = _strip(ann, meta)
        if _is_model(ann):
            fields = {f.alias or name: f for name, f in ann.model_fields.items()}
            fields.update(ann.model_fields)
            if part not in fields:
                return None
            ann, meta = fields[part].annotation, list(fields[part].metadata)
        elif get_origin(ann) in (dict, list):
            ann, meta = get_args(ann)[-1], []
        else:
            return None
    return _strip(ann, meta)


def open_table(root: type[BaseModel], loc: list) -> tuple[bool, list[str] | None]:
    """Whether ``loc`` under ``root`` is a table that takes new keys (not a section, nor a
    table with every key of a fixed set, e.g. one per profile), and its allowed keys if
    they are fixed."""
    found = _at(root, loc)
    if found is None or get_origin(found[0]) is not dict:
        return False, None
    for m in found[1]:
        func = getattr(m, "func", None)
        if hasattr(func, "complete"):
            return not func.complete, func.keys(None)
    return True, None


def keys_at(root: type[BaseModel], loc: list) -> list[str]:
    found = _at(root, loc)
    if found is None or not _is_model(found[0]):
        return []
    return [f.alias or name for name, f in found[0].model_fields.items()]


def _allowed_at(root: type[BaseModel], loc: list) -> str | None:
    found = _at(root, loc)
    if found is None:
        return None
    ann, meta = found
    for m in meta:
        if isinstance(m, Allowed):
            return str(m)
    if _is_model(ann):
        return f"a section with the keys {keys_at(root, loc)}"
    return {list: "a list", dict: "a table of key: value", str: "a string",
            bool: "true or false"}.get(get_origin(ann) or ann)
