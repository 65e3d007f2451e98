"""Process settings of a long-running Liaison process (``serve``, its indexing child,
``sync``): how often Python's cycle collector runs.

The collector runs when allocations outnumber deallocations by a threshold (700 by
default), and each of its full passes walks every tracked object -- the alias tables,
the gazetteer, the caches of names -- though almost all of what the ingest path
allocates is freed by reference counting. ``tune_gc`` freezes what start-up loaded
(never scanned again) and lets more allocations pass between collections; it saved
9 % of the CPU of storing a partner's objects (``bench/bench_receive_cpu.py``: 149-154
against 137-140 µs an object, issue #15). Memory is unchanged: only cyclic garbage
waits longer, and nothing on these paths makes cycles per object.
"""

from __future__ import annotations

import gc

__all__ = ["GC_THRESHOLDS", "tune_gc"]

#: ``gc.set_threshold`` of a tuned process: the youngest generation is collected after
#: 50,000 net allocations (not 700); the older ones as rarely, relative to it.
GC_THRESHOLDS = (50_000, 20, 100)


def tune_gc() -> None:
    """Call once start-up has loaded its tables: they move to the permanent generation
    (``gc.freeze``), and collections come less often (``GC_THRESHOLDS``)."""
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
