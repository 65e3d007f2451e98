"""Continuous sync inside ``liaison serve``: every peer at an interval, with back-off."""

from __future__ import annotations

import logging
import threading

from liaison.errors import LiaisonError
from liaison.service import Exchange
from liaison.service.peers import peers
from liaison.sync.pulling import pull

__all__ = ["SyncLoop"]

log = logging.getLogger("liaison.sync")

MAX_BACKOFF = 600.0


class SyncLoop:
    def __init__(self, exchange: Exchange, interval: float) -> None:
        self.exchange = exchange
        self.interval = max(1.0, interval)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="liaison-sync", daemon=True)
        self._failures: dict[str, int] = {}
        self._next: dict[str, float] = {}

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def delay(self, party: str) -> float:
        n = self._failures.get(party, 0)
        return self.interval if n == 0 else min(MAX_BACKOFF, self.interval * 2.0**n)

    def run_once(self, now: float) -> None:
        for peer in peers(self.exchange.node):
            if self._next.get(peer.party, 0.0) > now:
                continue
            try:
                report = pull(self.exchange, peer)
                self._failures[peer.party] = 0
                if report.stored or report.rejected:
                    log.warning("sync %s", report.line())
            except LiaisonError as exc:
                self._failures[peer.party] = self._failures.get(peer.party, 0) + 1
                log.warning(
                    "sync with %s failed (retry in %.0f s): %s",
                    peer.party,
                    self.delay(peer.party),
                    exc,
                )
            self._next[peer.party] = now + self.delay(peer.party)

    def _run(self) -> None:
        import time

        while not self._stop.is_set():
            try:
                self.run_once(time.monotonic())
            except Exception:  # a sync bug must not kill the server
                log.exception("sync loop error")
            self._stop.wait(1.0)
