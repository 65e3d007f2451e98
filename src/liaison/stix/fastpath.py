"""The common well-formed object, recognised without building a reason (issue #15).

``plainly_valid(obj)`` is True only when ``validate.validate_object`` would find nothing
at all to say about ``obj`` -- no reason and no strict finding. It looks at each property
once, with a check chosen in advance for each property of each type; it never builds a
message. Whenever it is not sure (a custom type, a reserved or invalid name, an odd
value anywhere, a ``str`` subclass) it answers False, and ``validate_object`` then runs
the full checks, which word every reason. So it may only be wrong one way -- False for
a valid object -- and that costs time, not a verdict.

Each check here is the conjunction of what the full checks require of that property
(``validate._check_properties``, ``validate._check_common``, ``rules.check_type_rules``),
built from the same tables (``liaison.stix.vocab``). Structured properties (external
references, extensions, granular markings, kill chain phases) and the per-type special
rules run the full check into a scratch list. tests/unit/stix/
test_stix_validate_equivalence.py compares both with the original implementation.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter
from typing import Any, Final

from liaison.stix.commons import (
    EXT_NAME_RE,
    LISTS_CHECKED_ELSEWHERE,
    PROPERTY_RE,
    check_encoded,
    check_extensions,
    check_external_references,
    check_granular_markings,
)
from liaison.stix.ids import identifier_of, identifier_type, identifiers_of, is_language_tag
from liaison.stix.refcheck import ENCODED, PLAIN, REF, REFS, check_nested, kind_of
from liaison.stix.rules import KIND_CHECKS, SPECIAL, WITH_KILL_CHAIN, check_kill_chain_phases
from liaison.stix.timestamps import compare_timestamps, is_millis_timestamp, is_timestamp
from liaison.stix.vocab import (
    ANY_OF,
    EXTENSION_TYPES,
    INT_RANGES,
    META_TYPES,
    NUMBER_RANGES,
    PROPERTY_KINDS,
    REF_TARGETS,
    REQUIRED,
    RESERVED_PROPERTIES,
    SCO_TYPES,
    SDO_TYPES,
    SRO_TYPES,
    TIMESTAMP_ORDER,
    TIMESTAMP_PROPS,
)

__all__ = ["plainly_valid"]

Check = Callable[[Any], bool]

#: Checks that pass every ``str`` (exactly) without looking at it: a property whose
#: check is one of these is only asked, for the common case, to hold a ``str``
#: (``_Shape``; the checks here are pure: whether and in which order they run changes
#: nothing but the time).
_ANY_STR: set[Check] = set()

_CONTAINERS = (dict, list)
_SDO, _SCO, _MARKING = "sdo", "sco", "marking"


def _nothing(value: Any) -> bool:
    """Checked before the properties are (``type``, ``id``, ``spec_version``, ...)."""
    return True


def _never(value: Any) -> bool:
    """A name that always draws a reason: reserved, invalid, not a string."""
    return False


def _plain(key: str, *, empty_ok: bool, walk: bool) -> Check:
    """What ``_check_properties`` asks of a property that is no reference and not
    encoded: nothing of a scalar; of a container, not an empty list (unless another
    check owns it) and no bad reference inside (unless walked elsewhere). Whether a
    finding would be an error or a warning does not matter here: either is one."""

    def check(value: Any) -> bool:
        if value.__class__ is str or not isinstance(value, _CONTAINERS):
            return True
        if not value:
            return empty_ok or not isinstance(value, list)
        if not walk:
            return True
        if value.__class__ is list:
            for item in value:
                if item.__class__ is not str and isinstance(item, _CONTAINERS):
                    break
            else:
                return True  # a list of scalars: nothing to walk
        scratch: list[str] = []
        check_nested(key, value, 1, scratch, False)
        return not scratch

    _ANY_STR.add(check)
    return check


def _ref(allowed: frozenset[str] | None) -> Check:
    def check(value: Any) -> bool:
        return identifier_of(value, allowed)

    return check


def _refs(allowed: frozenset[str] | None) -> Check:
    def check(value: Any) -> bool:
        return value.__class__ is list and bool(value) and identifiers_of(value, allowed)

    return check


def _encoded(key: str) -> Check:
    def check(value: Any) -> bool:
        scratch: list[str] = []
        check_encoded(key, key, value, scratch)
        return not scratch

    return check


def _scratch(check_into: Callable[[Any, list[str]], None]) -> Check:
    """A full check of one value (it appends reasons): True when it has none."""

    def check(value: Any) -> bool:
        scratch: list[str] = []
        check_into(value, scratch)
        return not scratch

    return check


def _simple_extensions(exts: Any) -> bool:
    """Extensions holding scalars and lists of scalars only (a partner's signature, a
    TLP 2.0 marking's), checked in one pass: what ``check_extensions`` asks of them, and
    the walk of ``_check_properties`` for references. False when unsure."""
    if exts.__class__ is not dict or not exts:
        return False
    for key, ext in exts.items():
        if ext.__class__ is not dict or not ext:
            return False
        kind = _EXT_KEYS.get(key)
        if kind is None:
            kind = _extension_key(key)
            if kind is None:
                return False
        if kind == _DEFINED:
            extension_type = ext.get("extension_type")
            if extension_type.__class__ is not str or extension_type not in EXTENSION_TYPES:
                return False
        if _scalars_only(ext):
            continue  # (a partner's signature: every name plain, every value a scalar)
        for name, value in ext.items():
            check = _EXT_PROPERTIES.get(name)
            if check is None:
                check = _extension_property(name)
            if not check(value):
                return False
    return True


#: Exact types of the values ``_scalars`` admits without a look inside.
_SCALAR_TYPES: Final = frozenset({str, int, float, bool, type(None)})
_SCALAR_OR_LIST_TYPES: Final = _SCALAR_TYPES | {list}
#: The names of an extension, in order -> whether each takes ``_scalars`` (a plain name,
#: no reference, nothing encoded). Bounded in count, and only short names remembered.
_PLAIN_SHAPES: dict[tuple[Any, ...], bool] = {}
_SHAPE_MAX = 1024
_SHAPE_NAMES = 32
_SHAPE_NAME_LEN = 64


def _scalars_only(ext: dict[Any, Any]) -> bool:
    """True only when every property of ``ext`` would pass its own check in
    ``_simple_extensions``: each name takes ``_scalars``, and each value is a scalar or a
    non-empty list of scalars -- told by the exact types of the values, in C. False when
    unsure: the per-name checks then decide."""
    names = tuple(ext)
    plain = _PLAIN_SHAPES.get(names)
    if plain is None:
        plain = all(
            (_EXT_PROPERTIES.get(name) or _extension_property(name)) is _scalars for name in names
        )
        if (
            len(_PLAIN_SHAPES) < _SHAPE_MAX
            and len(names) <= _SHAPE_NAMES
            and all(n.__class__ is str and len(n) <= _SHAPE_NAME_LEN for n in names)
        ):
            _PLAIN_SHAPES[names] = plain
    if not plain:
        return False
    kinds = set(map(type, ext.values()))
    if kinds <= _SCALAR_TYPES:
        return True
    if not kinds <= _SCALAR_OR_LIST_TYPES:
        return False
    for value in ext.values():
        if value.__class__ is list and not (value and set(map(type, value)) <= _SCALAR_TYPES):
            return False
    return True


_DEFINED, _NAMED = 1, 2
#: Extension keys found valid -> ``_DEFINED`` (an extension-definition id) or ``_NAMED``
#: (a ``*-ext`` name); property names inside extensions -> their check. Bounded.
_EXT_KEYS: dict[str, int] = {}
_EXT_PROPERTIES: dict[str, Check] = {}


def _extension_key(key: object) -> int | None:
    if key.__class__ is not str:
        return None
    assert isinstance(key, str)
    if key.startswith("extension-definition--"):
        kind = _DEFINED if identifier_type(key) == "extension-definition" else None
    else:
        kind = _NAMED if EXT_NAME_RE.match(key) is not None else None
    if kind is not None and len(_EXT_KEYS) < _CACHE_MAX:
        _EXT_KEYS[key] = kind
    return kind


def _extension_property(name: object) -> Check:
    if name.__class__ is not str:
        return _never
    assert isinstance(name, str)
    if PROPERTY_RE.match(name) is None and name != "id":
        return _never  # a reason (or a warning)
    kind = kind_of(name)
    if kind == REF:
        check = _ANY_REF
    elif kind == REFS:
        check = _ANY_REFS
    elif kind == ENCODED:
        check = _HEX if name.endswith("_hex") else _BIN
    else:
        check = _scalars
    if len(_EXT_PROPERTIES) < _CACHE_MAX:
        _EXT_PROPERTIES[name] = check
    return check


def _scalars(value: Any) -> bool:
    """A scalar, or a non-empty list of scalars (nothing inside to walk)."""
    if value.__class__ is str or not isinstance(value, _CONTAINERS):
        return True
    if value.__class__ is not list or not value:
        return False
    return not any(v.__class__ is not str and isinstance(v, _CONTAINERS) for v in value)


def _int_range(low: int, high: int) -> Check:
    return lambda v: v.__class__ is int and low <= v <= high


def _number_range(low: float, high: float) -> Check:
    return lambda v: (v.__class__ is int or v.__class__ is float) and low <= v <= high


def _is_bool(value: Any) -> bool:
    return value is True or value is False


def _is_strs(value: Any) -> bool:
    return value.__class__ is list and bool(value) and all(v.__class__ is str for v in value)


def _all(checks: list[Check]) -> Check:
    if len(checks) == 1:
        return checks[0]
    both: Check
    if len(checks) == 2:  # the usual case: no generator
        first, second = checks
        both = lambda v: first(v) and second(v)  # noqa: E731
    else:
        head, *rest = checks
        both = lambda v: head(v) and all(check(v) for check in rest)  # noqa: E731
    if all(check in _ANY_STR for check in checks):
        _ANY_STR.add(both)
    return both


class _Plan:
    """What a clean object of one known type looks like, property by property."""

    __slots__ = (
        "any_of",
        "category",
        "checks",
        "order",
        "required",
        "shapes",
        "special",
        "type_",
    )

    def __init__(self, type_: str) -> None:
        if type_ in SCO_TYPES:
            category = _SCO
        elif type_ == "marking-definition":
            category = _MARKING
        else:
            category = _SDO
        self.category = category
        self.type_ = type_
        self.required = REQUIRED.get(type_, ())
        self.any_of = ANY_OF.get(type_)
        self.order = TIMESTAMP_ORDER.get(type_, ())
        stamps = TIMESTAMP_PROPS.get(type_, ())
        # compared in _whole once each has been found a timestamp
        assert all(a in stamps and b in stamps for a, b, _ in self.order), type_
        self.special = SPECIAL.get(type_)
        self.checks = _checks(type_, category)
        self.shapes: dict[tuple[str, ...], _Shape | None] = {}


def _checks(type_: str, category: str) -> dict[str, Check]:
    """For every property the rules of ``type_`` name, the conjunction of its checks."""
    extra: dict[str, list[Check]] = {}
    # Properties with a check that admits only a string, a boolean, a number or a
    # non-empty list of strings: nothing else a plain property's own check asks.
    scalar: set[str] = set()

    def add(key: str, check: Check, *, only_scalars: bool = False) -> None:
        extra.setdefault(key, []).append(check)
        if only_scalars:
            scalar.add(key)

    kinds = PROPERTY_KINDS.get(type_, {})
    for key, value_kind in kinds.items():
        if value_kind == "dict":
            add(key, KIND_CHECKS[value_kind])
        else:
            add(key, _KIND_CHECKS[value_kind], only_scalars=True)
    for key, low, high in INT_RANGES.get(type_, ()):
        add(key, _int_range(low, high), only_scalars=True)
    for key, flow, fhigh in NUMBER_RANGES.get(type_, ()):
        add(key, _number_range(flow, fhigh), only_scalars=True)
    for key in TIMESTAMP_PROPS.get(type_, ()):
        add(key, is_timestamp, only_scalars=True)
    if category == _SCO:
        add("defanged", _is_bool, only_scalars=True)
    else:
        add("external_references", _scratch(check_external_references))
    if category == _SDO:  # _check_sdo_common
        add("revoked", _is_bool, only_scalars=True)
        add("confidence", _int_range(0, 100), only_scalars=True)
        add("lang", is_language_tag, only_scalars=True)
        add("labels", _is_strs, only_scalars=True)
    add("extensions", _scratch(check_extensions))
    if type_ in WITH_KILL_CHAIN:
        add("kill_chain_phases", _scratch(check_kill_chain_phases))

    targets = REF_TARGETS.get(type_, {})
    names = {*extra, *targets, *REF_TARGETS["*"], *REQUIRED.get(type_, ())}
    names |= {"granular_markings", "kill_chain_phases", "objects"}
    skip = {"external_references"} if category != _SCO else set()
    if type_ == "observed-data":
        skip.add("objects")
    out: dict[str, Check] = {}
    for key in names:
        if key in RESERVED_PROPERTIES or PROPERTY_RE.match(key) is None:
            out[key] = _never  # not met in the tables; to be sure
            continue
        kind = kind_of(key)
        if kind in (REF, REFS):
            allowed = targets.get(key) or REF_TARGETS["*"].get(key)
            base = _ref(allowed) if kind == REF else _refs(allowed)
        elif kind == ENCODED:
            base = _encoded(key)
        else:
            base = _plain(
                key,
                empty_ok=key in kinds or key in LISTS_CHECKED_ELSEWHERE,
                walk=key not in skip,
            )
        own = extra.get(key, [])
        out[key] = _all(own if kind == PLAIN and key in scalar else [base, *own])
    exact = out["extensions"]
    out["extensions"] = lambda v: _simple_extensions(v) or exact(v)
    out["type"] = out["id"] = _nothing  # checked first
    if category != _SCO:
        out["spec_version"] = out["created"] = out["modified"] = _nothing
    else:
        out["spec_version"] = _nothing
    return out


def _is_str(value: Any) -> bool:
    """``rules.KIND_CHECKS["str"]``."""
    return isinstance(value, str)


_ANY_STR.add(_is_str)
#: ``rules.KIND_CHECKS`` as fast or stricter (``_is_strs``: a ``list`` of ``str`` exactly).
_KIND_CHECKS: Final[dict[str, Check]] = {
    "str": _is_str,
    "strs": _is_strs,
    "bool": _is_bool,
}
_KNOWN_TYPES: Final = SDO_TYPES | SRO_TYPES | META_TYPES | SCO_TYPES
_PLANS: dict[str, _Plan] = {}
#: Checks of custom property names (any type), bounded against hostile input. They are
#: shared: a name only words a reason, and ``*_hex`` or ``*_bin`` says which encoding.
_CUSTOM: dict[str, Check] = {}
_ANY_REF, _ANY_REFS = _ref(None), _refs(None)
_HEX, _BIN = _encoded("custom_hex"), _encoded("custom_bin")
_CUSTOM_PLAIN = _plain("custom", empty_ok=False, walk=True)
_CACHE_MAX = 20_000


def _custom(key: object) -> Check:
    """The check of a property the type's rules do not name (a custom property)."""
    if key.__class__ is not str:
        return _never
    assert isinstance(key, str)
    check = _CUSTOM.get(key)
    if check is not None:
        return check
    if PROPERTY_RE.match(key) is None or key in RESERVED_PROPERTIES:
        return _never  # a reason, or a custom type's reserved property
    kind = kind_of(key)
    if kind == REF:
        check = _ANY_REF
    elif kind == REFS:
        check = _ANY_REFS
    elif kind == ENCODED:
        check = _HEX if key.endswith("_hex") else _BIN
    else:
        check = _CUSTOM_PLAIN
    if len(_CUSTOM) < _CACHE_MAX:
        _CUSTOM[key] = check
    return check


def _plan(type_: object) -> _Plan | None:
    if type_.__class__ is not str:
        return None
    plan = _PLANS.get(type_)  # type: ignore[call-overload]
    if plan is None:
        if type_ not in _KNOWN_TYPES:
            return None  # custom types: validate_object's full checks
        assert isinstance(type_, str)
        plan = _PLANS[type_] = _Plan(type_)
    return plan


def plainly_valid(obj: object) -> bool:
    """True only if ``validate_object(obj)`` finds nothing, not even a warning."""
    if obj.__class__ is not dict:
        return False
    assert isinstance(obj, dict)
    plan = _plan(obj.get("type"))
    if plan is None:
        return False
    id_ = obj.get("id")
    # <type>--<UUID> of this type (remembered: relationships and reports name it)
    if id_.__class__ is not str or identifier_type(id_) != plan.type_:
        return False
    category = plan.category
    spec = obj.get("spec_version")
    if (spec.__class__ is not str or spec != "2.1") and (
        spec is not None or category != _SCO or "spec_version" in obj
    ):
        return False
    if category != _SCO:
        created: str = obj.get("created")  # type: ignore[assignment]
        if not is_millis_timestamp(created):
            return False
        modified = obj.get("modified")
        if modified is None:
            if category == _SDO or "modified" in obj:
                return False
        elif (modified.__class__ is not str or modified != created) and (
            not is_millis_timestamp(modified) or compare_timestamps(modified, created) < 0
        ):
            return False  # (a value not a str is never compared: its == could be anything)
    keys = tuple(obj)
    shape = plan.shapes.get(keys, _UNKNOWN)
    if shape is _UNKNOWN:
        shape = _shape(plan, keys)
    if shape is None:  # a property that always draws a reason, or one missing
        return False
    if shape.__class__ is not _Shape:  # keys that are not all ``str`` exactly
        return _by_item(obj, plan, id_)
    assert isinstance(shape, _Shape)
    if shape.strings is not None and not set(map(type, shape.strings(obj))) <= _STR:
        for key, check in shape.string_checks:
            if not check(obj[key]):
                return False
    for key, check in shape.checks:
        if not check(obj[key]):
            return False
    return _related(obj, plan, id_)


class _Shape:
    """The checks of an object of one type with these property names, in advance:
    those that pass any ``str`` (``_ANY_STR``), whose values are first looked at
    together (``strings``: all of them ``str``, nothing more to check), and the
    others, each run on its value."""

    __slots__ = ("checks", "string_checks", "strings")

    def __init__(self, strings: list[tuple[str, Check]], others: list[tuple[str, Check]]) -> None:
        self.string_checks = tuple(strings)
        self.checks = tuple(others)
        self.strings: Callable[[dict[str, Any]], tuple[Any, ...]] | None = None
        if len(strings) > 1:  # (itemgetter of one name gives the value, not a tuple)
            self.strings = itemgetter(*(key for key, _ in strings))
        elif strings:
            self.checks = (*self.checks, *self.string_checks)


_UNKNOWN: Any = object()
_STR: Final = frozenset({str})
#: Shapes remembered per type (names come from the sender: bounded, emptied when full).
_OBJECT_SHAPES_MAX = 256
_OBJECT_SHAPE_KEYS = 64
_OBJECT_SHAPE_KEY_LEN = 64
#: Not a shape: the names are not all ``str`` exactly (``_by_item`` decides).
_ODD: Any = object()


def _shape(plan: _Plan, keys: tuple[Any, ...]) -> Any:
    """The ``_Shape`` of ``keys`` for ``plan`` (None: such an object is never plainly
    valid), remembered when the names are few and short; ``_ODD`` for names that are
    not all ``str`` exactly."""
    if set(map(type, keys)) != _STR:
        return _ODD
    shape: _Shape | None = None
    present = set(keys)
    if all(key in present for key in plan.required) and (
        plan.any_of is None or any(key in present for key in plan.any_of)
    ):
        checks = plan.checks
        strings: list[tuple[str, Check]] = []
        others: list[tuple[str, Check]] = []
        for key in keys:
            check = checks.get(key)
            if check is None:
                check = _custom(key)
            elif check is _nothing:
                continue
            if check is _never:
                break
            (strings if check in _ANY_STR else others).append((key, check))
        else:
            shape = _Shape(strings, others)
    if len(keys) <= _OBJECT_SHAPE_KEYS and all(len(key) <= _OBJECT_SHAPE_KEY_LEN for key in keys):
        if len(plan.shapes) >= _OBJECT_SHAPES_MAX:
            plan.shapes.clear()
        plan.shapes[keys] = shape
    return shape


def _by_item(obj: dict[Any, Any], plan: _Plan, id_: str) -> bool:
    """The properties checked one by one (names not all ``str`` exactly)."""
    checks = plan.checks
    for key, value in obj.items():
        check = checks.get(key)
        if check is None:
            check = _custom(key)
        elif check is _nothing:
            continue
        if not check(value):
            return False
    return _whole(obj, plan, id_)


def _whole(obj: dict[str, Any], plan: _Plan, id_: str) -> bool:
    """The rules about the object as a whole (its properties are each fine)."""
    for key in plan.required:
        if key not in obj:
            return False
    if plan.any_of is not None and not any(key in obj for key in plan.any_of):
        return False
    return _related(obj, plan, id_)


def _related(obj: dict[str, Any], plan: _Plan, id_: str) -> bool:
    """``_whole`` once the properties required are there: the rules relating them."""
    for later, earlier, strict in plan.order:
        if later in obj and earlier in obj:
            order = compare_timestamps(obj[later], obj[earlier])
            if order < 0 or (strict and order == 0):
                return False
    scratch: list[str] = []
    if plan.special is not None:
        plan.special(obj, scratch)
    if "granular_markings" in obj:
        check_granular_markings(obj, scratch)
    if plan.category == _MARKING:
        marks = obj.get("object_marking_refs")
        if isinstance(marks, list) and id_ in marks:
            return False
    return not scratch
