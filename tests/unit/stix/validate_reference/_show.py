"""Quote a value for a reason text, cut short: reasons must stay one readable line."""

from __future__ import annotations

__all__ = ["show"]

_LIMIT = 80


def show(value: object) -> str:
    """``repr(value)``, cut to about 80 characters with an ellipsis."""
    if isinstance(value, list | dict) and len(value) > 20:
        kind = "list" if isinstance(value, list) else "dictionary"
        return f"<{kind} of {len(value)} items>"
    try:
        text = repr(value)
    except RecursionError:  # a self-containing structure built in code
        return f"<{type(value).__name__}>"
    return text if len(text) <= _LIMIT else text[: _LIMIT - 3] + "..."
