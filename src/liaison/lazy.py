"""Names of a package imported at first use (PEP 562).

A package whose ``__init__`` re-exports names from its modules imports all of them at
the first import of any of its modules. A process that needs one module (the sync's
checking process, ``liaison.sync.checker``) then pays for the whole package at start:
``__getattr__ = lazy_names(__name__, {...})`` imports each name where it is first used.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_names"]


def lazy_names(package: str, names: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: ``names`` maps each name to the module
    that defines it, imported when the name is first looked up and kept in the package
    (looked up once)."""

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
