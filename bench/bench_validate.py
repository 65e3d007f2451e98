"""Objects per second: liaison.stix.validate_object vs stix2-validator, on ATT&CK.

Usage: PYTHONPATH=src .venv/bin/python bench/bench_validate.py [bundle.json] [--repeat N]

Both validators see the same objects (the whole bundle, 2,150 objects for mobile ATT&CK
17.0). Ours runs ``--repeat`` times (best pass reported); stix2-validator runs once.
Rates are per CPU second of this process (``time.process_time``), so that other work on
a shared machine does not distort them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from liaison.stix import new_id, validate_object

DEFAULT = Path(__file__).resolve().parents[2] / "shared/data/attack/mobile-attack-17.0.json"


def typical_objects(n: int) -> list[dict[str, Any]]:
    """``n`` objects of the kinds partners exchange daily, each marked and attributed."""
    ts = "2026-11-29T12:00:00.123Z"
    ident = new_id("identity")
    tlp = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"  # TLP 2.0 GREEN
    common = {
        "spec_version": "2.1",
        "created": ts,
        "modified": ts,
        "created_by_ref": ident,
        "object_marking_refs": [tlp],
        "confidence": 70,
        "lang": "fr",
        "labels": ["sahel"],
    }
    templates: list[dict[str, Any]] = [
        {
            "type": "indicator",
            "name": "C2 relay",
            "pattern": "[ipv4-addr:value = '198.51.100.7']",
            "pattern_type": "stix",
            "valid_from": ts,
            "indicator_types": ["malicious-activity"],
        },
        {"type": "malware", "name": "SahelRAT", "is_family": True, "malware_types": ["rat"]},
        {"type": "threat-actor", "name": "Cell 7", "aliases": ["C7"], "first_seen": ts},
        {"type": "location", "name": "Gao", "country": "ML", "latitude": 16.27, "longitude": -0.04},
        {
            "type": "report",
            "name": "Rapport hebdomadaire",
            "published": ts,
            "object_refs": [new_id("indicator"), new_id("malware")],
            "external_references": [{"source_name": "liaison", "external_id": "R-1"}],
        },
        {
            "type": "relationship",
            "relationship_type": "uses",
            "source_ref": new_id("threat-actor"),
            "target_ref": new_id("malware"),
        },
    ]
    out = []
    for i in range(n):
        template = templates[i % len(templates)]
        out.append({**template, "id": new_id(template["type"]), **common})
    return out


def _ours(objects: list[dict[str, Any]], repeat: int) -> tuple[float, int]:
    best = float("inf")
    invalid = 0
    for _ in range(repeat):
        start = time.process_time()
        invalid = sum(1 for obj in objects if validate_object(obj))
        best = min(best, time.process_time() - start)
    return len(objects) / best, invalid


def _reference(objects: list[dict[str, Any]]) -> tuple[float, int]:
    from stix2validator import ValidationOptions, validate_instance

    options = ValidationOptions(version="2.1")
    start = time.process_time()
    invalid = sum(1 for obj in objects if not validate_instance(obj, options).is_valid)
    return len(objects) / (time.process_time() - start), invalid


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not args.bundle.exists():
        print(f"bundle not found: {args.bundle}", file=sys.stderr)
        return 2
    objects = json.loads(args.bundle.read_text())["objects"]
    ours, ours_bad = _ours(objects, args.repeat)
    ref, ref_bad = _reference(objects)
    print(f"objects:          {len(objects)}")
    print(f"liaison.stix:     {ours:12,.0f} objects/CPU-s  ({ours_bad} invalid)")
    print(f"stix2-validator:  {ref:12,.0f} objects/CPU-s  ({ref_bad} invalid)")
    print(f"ratio:            {ours / ref:12,.1f}x")
    sdos = [o for o in objects if o.get("type") != "relationship"]
    sdo_rate, _ = _ours(sdos, args.repeat)
    print(f"liaison.stix, {len(sdos)} non-relationship objects only: {sdo_rate:,.0f} objects/CPU-s")
    typical = typical_objects(len(objects))
    typical_rate, typical_bad = _ours(typical, args.repeat)
    if typical_bad:
        print("BUG: the typical objects should all be valid", file=sys.stderr)
        return 1
    print(f"liaison.stix, {len(typical)} typical marked objects: {typical_rate:,.0f} objects/CPU-s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
