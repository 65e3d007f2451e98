"""Release of definitions: the marking- and extension-definitions objects refer to.

A receiver cannot even parse an object's handling without the marking-definitions it
names, and definitions carry no intelligence. So under any agreement in force with
the party they are released -- except a releasability marking that does not list the
party, whose list of names would tell it who else receives what.
"""

from __future__ import annotations

from liaison.markings.handling import Handling
from liaison.policy.context import Party, PolicyContext
from liaison.policy.engine import Decision

__all__ = ["DEFINITION_TYPES", "decide_definition"]

DEFINITION_TYPES = frozenset({"marking-definition", "extension-definition"})


def decide_definition(party: Party, handling: Handling, ctx: PolicyContext) -> Decision:
    if party.internal or party.identity_id == ctx.node_identity_id:
        return Decision(True, ("internal: this node's own organisation",))
    views = ctx.views.get(party.identity_id)
    if not views:
        return Decision(False, (f"no agreement in force with {party.name}",))
    if handling.releasable_to is not None and party.identity_id not in handling.releasable_to:
        return Decision(False, (f"a releasability marking that does not name {party.name}",))
    v = views[0]
    return Decision(
        True, (f"definition released to {party.name} under {v.name}",), (), v.agreement_id
    )
