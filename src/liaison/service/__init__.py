"""What a node does for a party, with no HTTP in sight: ingest, read, delete, status.

Usage::

    from liaison.service import Exchange, Filters
    ex = Exchange(node)
    status = ex.ingest(party, collection_id, envelope)
    page = ex.objects(party, collection_id, Filters(), limit=100, next_token=None)

Every read goes through ``Exchange.gate`` -- the policy decision -- row by row.
"""

from liaison.service.exchange import Exchange, Filters, Page

__all__ = ["Exchange", "Filters", "Page"]
