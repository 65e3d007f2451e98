"""TAXII 2.1 status resources (§4.3.1), built from what the exchange says it did."""

from __future__ import annotations

import uuid
from typing import Any

from liaison.service import Exchange
from liaison.service.exchange import Ingested
from liaison.store import PartyRecord

__all__ = ["ingest", "status_resource"]


def status_resource(done: Ingested, status_id: str) -> dict[str, Any]:
    """The status resource of a completed POST (Liaison stores synchronously)."""
    got = done.received
    return {
        "id": status_id,
        "status": "complete",
        "request_timestamp": done.request_timestamp,
        "total_count": done.total,
        "success_count": len(got.successes),
        "successes": got.successes,
        "failure_count": len(got.failures),
        "failures": got.failures,
        "pending_count": 0,
        "pendings": [],
    }


def ingest(
    exchange: Exchange, party: PartyRecord, collection_id: str, envelope: Any
) -> dict[str, Any]:
    """Ingest an envelope and keep its status resource; return the resource."""
    done = exchange.ingest(party, collection_id, envelope)
    status = status_resource(done, str(uuid.uuid4()))
    exchange.keep_status(party, collection_id, status["id"], status)
    return status
