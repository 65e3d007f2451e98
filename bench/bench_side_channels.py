"""Issue #13, finding 3: does a withheld read cost more than an absent one?

Two nodes in process (DZ holds objects; XX is a partner under a signed agreement),
DZ served by ``liaison serve`` on loopback. XX asks, over real HTTP with a kept-alive
connection, for ids DZ holds but withholds from it and for ids DZ never held, in a
shuffled order each round (so that drift and the background audit writer hit every kind
alike); the same for ``match[id]`` listings. Prints the median, the minimum and the
90th percentile of each, and the difference of the medians. A benchmark, not a test.

    .venv/bin/python bench/bench_side_channels.py [--repeats 400] [--objects 200]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration" / "sync"))

from sync_world import World

from _util import TAXII_HEADERS, percentile
from liaison.demo.run import LEVELS
from liaison.markings import classification_marking, releasability_marking
from liaison.markings.tlp import tlp_id


def _indicators(n: int, marks: list[str], author: str) -> list[dict[str, object]]:
    ts = "2026-06-01T00:00:00.000Z"
    return [
        {
            "type": "indicator",
            "spec_version": "2.1",
            "id": f"indicator--{uuid.uuid4()}",
            "created": ts,
            "modified": ts,
            "created_by_ref": author,
            "pattern": f"[ipv4-addr:value = '10.7.{i // 250}.{i % 250}']",
            "pattern_type": "stix",
            "valid_from": ts,
            "object_marking_refs": marks,
            "x_liaison_topics": ["terrorism"],
            "x_liaison_regions": ["ML"],
        }
        for i in range(n)
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=400)
    ap.add_argument("--objects", type=int, default=200)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        world = World(Path(tmp))
        try:
            for code in ("DZ", "XX"):
                world.add(code)
            world.agree("DZ", "XX")
            dz = world["DZ"]
            me, xx = dz.node.identity_id, world["XX"].node.identity_id
            cls = classification_marking(LEVELS["DZ"][1], me)
            shown = releasability_marking([me, xx])
            hidden = releasability_marking([me])
            green = tlp_id("green")
            withheld = _indicators(args.objects, [cls["id"], hidden["id"], green], me)
            released = _indicators(args.objects, [cls["id"], shown["id"], green], me)
            status = dz.post([cls, shown, hidden, *withheld, *released])
            assert status["failure_count"] == 0, status
            dz.start()
            col = f"{dz.url.removesuffix('/taxii2/')}/api/collections/{dz.collection_id}/"
            timings: dict[str, list[float]] = {
                k: [] for k in ("object withheld", "object absent", "match withheld",
                                "match absent", "object released")
            }  # fmt: skip
            rng = random.Random(13)
            with httpx.Client(auth=("XX", dz.tokens["XX"]), headers=TAXII_HEADERS) as c:
                for i in range(args.repeats + 20):
                    held = withheld[i % len(withheld)]["id"]
                    absent = f"indicator--{uuid.uuid4()}"
                    ok = released[i % len(released)]["id"]
                    probes = (
                        ("object withheld", f"{col}objects/{held}/", None, 404),
                        ("object absent", f"{col}objects/{absent}/", None, 404),
                        ("match withheld", f"{col}objects/", {"match[id]": held}, 200),
                        ("match absent", f"{col}objects/", {"match[id]": absent}, 200),
                        ("object released", f"{col}objects/{ok}/", None, 200),
                    )
                    order = list(probes)
                    rng.shuffle(order)  # no kind always follows another (position bias)
                    for name, url, params, want in order:
                        t0 = time.perf_counter()
                        r = c.get(url, params=params)
                        took = time.perf_counter() - t0
                        assert r.status_code == want, (name, r.status_code, r.text)
                        if i >= 20:  # warm-up done
                            timings[name].append(took * 1000)
        finally:
            world.close()
    print(f"side channels: {args.repeats} requests of each kind, kept-alive HTTP on loopback")
    print(f"{'probe':<18}{'median ms':>11}{'min ms':>9}{'p90 ms':>9}")
    for name, values in timings.items():
        med = statistics.median(values)
        print(f"{name:<18}{med:>11.3f}{min(values):>9.3f}{percentile(values, 90):>9.3f}")
    for kind in ("object", "match"):
        a = statistics.median(timings[f"{kind} withheld"])
        b = statistics.median(timings[f"{kind} absent"])
        print(f"{kind}: withheld - absent median = {a - b:+.3f} ms ({(a / b - 1) * 100:+.1f} %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
