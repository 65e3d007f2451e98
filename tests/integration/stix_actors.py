"""Threat actors with predictable ids, for the correlation tests of this folder."""

from __future__ import annotations


def actor(i: int, name: str) -> dict[str, object]:
    """A threat-actor whose id ends with ``i`` and whose name is ``name``."""
    return {
        "type": "threat-actor",
        "spec_version": "2.1",
        "id": f"threat-actor--00000000-0000-4000-8000-{i:012d}",
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "name": name,
        "threat_actor_types": ["terrorist"],
    }
