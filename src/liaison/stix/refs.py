"""Every ``*_ref`` / ``*_refs`` in an object, wherever it is nested."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["MAX_DEPTH", "iter_refs"]

#: Nesting deeper than this is not followed (and is an error for ``validate_object``).
MAX_DEPTH = 64


def iter_refs(obj: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Yield ``(path, identifier)`` for every reference property in ``obj``.

    Paths use dots for dictionary keys and ``[i]`` for list items, e.g.
    ``created_by_ref``, ``object_refs[2]``, ``granular_markings[0].marking_ref``.
    Only string values are yielded (``validate_object`` reports the others). The
    deprecated ``objects`` container of observed-data holds local references
    (``"0"``, ``"1"``), not identifiers, and is skipped.
    """
    skip_objects = obj.get("type") == "observed-data"
    for key, value in obj.items():
        if skip_objects and key == "objects":
            continue
        yield from _walk(key, key, value, 1)


def _walk(key: str, path: str, value: Any, depth: int) -> Iterator[tuple[str, str]]:
    if key.endswith("_ref"):
        if isinstance(value, str):
            yield path, value
        return
    if key.endswith("_refs"):
        if isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, str):
                    yield f"{path}[{i}]", item
        return
    if depth >= MAX_DEPTH:
        return
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(k, str):
                yield from _walk(k, f"{path}.{k}", v, depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, dict):
                for k, v in item.items():
                    if isinstance(k, str):
                        yield from _walk(k, f"{path}[{i}].{k}", v, depth + 2)
            elif isinstance(item, list):
                yield from _walk("", f"{path}[{i}]", item, depth + 1)
