"""What this node accepts from a partner: the receiving side of the agreement.

The partner's own policy decided what it released to us; here our agreement with it
decides what we store: an agreement in force with the sender covers the object's
type and scope, and its classification (in the sender's scheme) is within the
agreement's maximum for the sender. Definitions (marking- and extension-definitions)
carry no intelligence and are accepted under any agreement in force.
"""

from __future__ import annotations

from collections.abc import Collection

from liaison.markings.handling import Handling
from liaison.policy.context import Party, PolicyContext
from liaison.policy.engine import (
    DEFINITION_TYPES,
    Decision,
    _classification_reason,
    _scope_reasons,
)

__all__ = ["accept"]


def accept(
    sender: Party,
    obj_type: str,
    handling: Handling,
    ctx: PolicyContext,
    *,
    topics: Collection[str] = (),
    regions: Collection[str] = (),
) -> Decision:
    """Whether this node stores an object version that ``sender`` hands it, and why."""
    views = ctx.views.get(sender.identity_id)
    if not views:
        return Decision(False, (f"no agreement in force with {sender.name}",))
    if obj_type in DEFINITION_TYPES:
        return Decision(
            True, (f"definition accepted under {views[0].name}",), (), views[0].agreement_id
        )
    covering = [v for v in views if obj_type in v.stix_types]
    if not covering:
        return Decision(False, (f"no agreement in force with {sender.name} covers {obj_type}",))
    reasons: list[str] = []
    for v in covering:
        found = _scope_reasons(v, topics, regions)
        r = _classification_reason(
            handling.classification, handling.scheme_owner, v, ctx, sender.name
        )
        if r is not None:
            found.append(r)
        if not found:
            return Decision(
                True, (f"accepted from {sender.name} under {v.name}",), (), v.agreement_id
            )
        reasons += [f"{v.name}: {x}" for x in found] if len(covering) > 1 else found
    return Decision(False, tuple(reasons))
