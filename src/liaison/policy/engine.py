"""The policy engine: may party P receive object version O, and with which redactions.

Default deny. A partner receives O only when one agreement in force covers both P and
O's scope, and O passes every rule under it: classification (after equivalence) at
most the agreement's maximum for P, P within O's releasability, TLP, and the
third-party rule. Properties under a granular marking P may not see are redacted.
Internal parties (this node's own organisation) receive everything, unredacted. An
object whose markings could not all be read (a marking-definition not held yet, see
``Handling.unresolved_markings``) is withheld from every partner.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Iterable
from typing import Any

from liaison.errors import PolicyError
from liaison.markings.handling import GRADING_DESCRIPTION_SELECTOR, Handling
from liaison.policy.context import AgreementView, Party, PolicyContext, Provenance
from liaison.policy.decision import Decision

__all__ = ["DEFINITION_TYPES", "Decision", "decide", "release"]


_INTERNAL = Decision(True, ("internal: this node's own organisation",))
_NO_CLASSIFICATION = "no classification marking: not releasable to partners"


def _scope_reasons(
    v: AgreementView, topics: Collection[str], regions: Collection[str]
) -> list[str]:
    out = []
    if v.topics and v.topics.isdisjoint(topics):
        got = ", ".join(sorted(topics)) or "none"
        out.append(f"{v.name} covers topics {', '.join(sorted(v.topics))}, not {got}")
    if v.regions and v.regions.isdisjoint(regions):
        got = ", ".join(sorted(regions)) or "none"
        out.append(f"{v.name} covers regions {', '.join(sorted(v.regions))}, not {got}")
    return out


def _classification_reason(
    level: str | None, owner: str | None, v: AgreementView, ctx: PolicyContext, pname: str
) -> str | None:
    if level is None or owner is None:
        return _NO_CLASSIFICATION
    if owner == v.partner:
        p_rank = v.partner_levels.get(level)
        if p_rank is None:
            return f"{level} is not a level of {pname}'s scheme"
        if p_rank > v.max_rank:
            return f"{level} ({pname}) exceeds the agreement maximum {v.max_level}"
        return None
    n_rank = ctx.scale.rank(owner, level)
    if n_rank is None:
        return f"{level} ({ctx.name(owner)}) has no equivalent in this node's scheme"
    p_rank = v.node_to_partner.get(n_rank)
    if p_rank is None:
        return f"{level} ({ctx.name(owner)}) has no equivalent for {pname} in {v.name}"
    if p_rank > v.max_rank:
        p_level = next(lvl for lvl, r in v.partner_levels.items() if r == p_rank)
        return (
            f"{level} ({ctx.name(owner)}) ≡ {p_level} ({pname}) exceeds the agreement "
            f"maximum {v.max_level}"
        )
    return None


def _releasability_reason(
    rel: frozenset[str] | None, pid: str, pname: str, ctx: PolicyContext
) -> str | None:
    if rel is None:
        return f"no releasability marking: not releasable to {pname}"
    if pid not in rel:
        listed = ", ".join(sorted(ctx.name(r) for r in rel)) or "nobody"
        return f"not releasable to {pname} (REL TO {listed})"
    return None


def _tlp_reason(
    tlp: str | None, origins: frozenset[str], pid: str, ctx: PolicyContext
) -> str | None:
    if tlp is None or tlp == "clear" or tlp == "green":
        return None
    if tlp == "red":
        return "TLP:RED never leaves this organisation"
    if tlp == "amber+strict":
        return "TLP:AMBER+STRICT: this organisation only"
    others = [o for o in origins if o != pid]
    if others:
        src = ", ".join(sorted(ctx.name(o) for o in others))
        return f"TLP:AMBER material from {src}: not for release to another organisation"
    return None


def _third_party_reasons(
    object_id: str, origins: frozenset[str], pid: str, pname: str, ctx: PolicyContext
) -> list[str]:
    return [
        f"third-party rule: received from {ctx.name(x)}, no consent to release to {pname}"
        for x in sorted(origins)
        if x != pid and (object_id, x, pid) not in ctx.granted
    ]


def _redactions(
    h: Handling, v: AgreementView, prov: Provenance, party: Party, ctx: PolicyContext
) -> tuple[str, ...]:
    out: list[str] = []
    pid = party.identity_id
    for g in h.granular:
        blocked = (
            (
                g.classification is not None
                and _classification_reason(g.classification, g.scheme_owner, v, ctx, party.name)
                is not None
            )
            or (g.releasable_to is not None and pid not in g.releasable_to)
            or _tlp_reason(g.tlp, prov.origins, pid, ctx) is not None
        )
        if blocked:
            out.extend(s for s in g.selectors if s not in out)
    if h.grading_description_local:
        out.append(GRADING_DESCRIPTION_SELECTOR)
    return tuple(out)


#: Objects that carry no intelligence but are needed to read others' handling.
DEFINITION_TYPES = frozenset({"marking-definition", "extension-definition"})


def _unmarked(h: Handling) -> bool:
    return (
        h.classification is None
        and h.releasable_to is None
        and h.tlp is None
        and not h.granular
        and not h.originator_control
    )


def _definition(party: Party, handling: Handling, v: AgreementView) -> Decision:
    """A definition carrying no handling of its own: a receiver cannot read others'
    markings without it, and it carries no intelligence, so it is released under any
    agreement in force (scope and third-party rule aside; its id is bound to its
    content). A definition that was itself marked goes through every rule instead."""
    return Decision(
        True, (f"definition released to {party.name} under {v.name}",), (), v.agreement_id
    )


def _unreadable(h: Handling) -> str:
    if h.unresolved_markings:
        ids = ", ".join(sorted(h.unresolved_markings))
        return f"unknown marking {ids}: withheld from partners until its definition arrives"
    return f"markings cannot be read: {h.marking_problem}"


def decide(
    party: Party,
    obj_type: str,
    object_id: str,
    handling: Handling,
    provenance: Provenance,
    ctx: PolicyContext,
    *,
    topics: Collection[str] = (),
    regions: Collection[str] = (),
    names: frozenset[str] | None = None,
) -> Decision:
    """Whether ``party`` may receive this object version, why, and what to redact.

    ``topics``/``regions``: the object's topics and regions (the lead reads them from
    ``x_liaison_topics``/``x_liaison_regions`` or labels, see docs/policy.md).
    ``names``: for a releasability marking-definition, the parties it lists (a party
    not listed never receives it: the list says who else receives what).
    """
    pid = party.identity_id
    if party.internal or pid == ctx.node_identity_id:
        return _INTERNAL
    if handling.withheld:  # fail closed: part of the handling is not known
        return Decision(False, (_unreadable(handling),))
    views = ctx.views.get(pid)
    if not views:
        return Decision(False, (f"no agreement in force with {party.name}",))
    definition = obj_type in DEFINITION_TYPES
    if definition:
        if names is not None and pid not in names:
            return Decision(False, (f"a releasability marking that does not name {party.name}",))
        if _unmarked(handling):
            return _definition(party, handling, views[0])
        covering = list(views)  # a marked definition: every rule but the agreement's scope
    else:
        covering = [v for v in views if obj_type in v.stix_types]
    if not covering:
        return Decision(False, (f"no agreement in force with {party.name} covers {obj_type}",))
    reasons: list[str] = []
    for v in covering:
        scoped = (v.topics or v.regions) and not definition
        found = _scope_reasons(v, topics, regions) if scoped else []
        r = _classification_reason(
            handling.classification, handling.scheme_owner, v, ctx, party.name
        )
        if r is not None:
            found.append(r)
        r = _releasability_reason(handling.releasable_to, pid, party.name, ctx)
        if r is not None:
            found.append(r)
        r = _tlp_reason(handling.tlp, provenance.origins, pid, ctx)
        if r is not None:
            found.append(r)
        if provenance.origins:
            found += _third_party_reasons(object_id, provenance.origins, pid, party.name, ctx)
        if not found:
            if handling.granular or handling.grading_description_local:
                redact = _redactions(handling, v, provenance, party, ctx)
                if redact:
                    return Decision(True, v.allowed.reasons, redact, v.agreement_id)
            return v.allowed
        if len(covering) > 1:
            found = [f"{v.name}: {r}" for r in found]
        reasons += found
    return Decision(False, tuple(reasons))


def _tokens(selector: str) -> list[str | int]:
    out: list[str | int] = []
    for part in selector.split("."):
        if part.startswith("[") and part.endswith("]") and part[1:-1].isdigit():
            out.append(int(part[1:-1]))
        else:
            out.append(part)
    return out


_MISSING = object()


def _step(parent: Any, tok: str | int) -> Any:
    if isinstance(tok, int):
        return parent[tok] if isinstance(parent, list) and tok < len(parent) else _MISSING
    return parent.get(tok, _MISSING) if isinstance(parent, dict) else _MISSING


def _delete(obj: Any, path: list[str | int]) -> tuple[list[str | int], bool] | None:
    """Delete ``path``; returns (path of the list shortened, True) if an element went."""
    parent = obj
    for tok in path[:-1]:
        parent = _step(parent, tok)
        if parent is _MISSING:
            return None
    last = path[-1]
    if isinstance(last, int) and isinstance(parent, list) and last < len(parent):
        del parent[last]
        return path, True
    if isinstance(last, str) and isinstance(parent, dict) and last in parent:
        del parent[last]
        return path, False
    return None


def _prune_empty(obj: dict[str, Any], path: list[str | int]) -> None:
    """Remove a list emptied by redaction (STIX forbids empty lists)."""
    for depth in range(len(path) - 1, 0, -1):
        parent: Any = obj
        for tok in path[: depth - 1]:
            parent = parent[tok]  # type: ignore[index]
        key = path[depth - 1]
        container = parent[key]
        if container in ([], {}):
            del parent[key]
        else:
            return


def release(obj: dict[str, Any], decision: Decision) -> dict[str, Any]:
    """A copy of ``obj`` with the decision's redactions applied.

    Granular markings that only covered redacted properties go too; selectors into a
    list that lost an element are renumbered. Raises ``PolicyError`` on a denial.
    """
    if not decision.allow:
        raise PolicyError("this object is not released to this party")
    out = copy.deepcopy(obj)
    if not decision.redact:
        return out
    grans: list[list[list[str | int]]] = [
        [_tokens(s) for s in gm.get("selectors", [])] for gm in out.get("granular_markings", [])
    ]
    paths = sorted((_tokens(s) for s in decision.redact), key=_sort_key, reverse=True)
    for path in paths:
        done = _delete(out, path)
        if done is None:
            continue
        _prune_empty(out, path)
        for sels in grans:
            sels[:] = [s for s in sels if s[: len(path)] != path]
            if done[1]:
                _renumber(sels, path)
    if "granular_markings" in out:
        kept = []
        for gm, sels in zip(out["granular_markings"], grans, strict=True):
            if sels:
                kept.append({**gm, "selectors": [_selector(s) for s in sels]})
        if kept:
            out["granular_markings"] = kept
        else:
            del out["granular_markings"]
    return out


def _sort_key(path: list[str | int]) -> list[tuple[int, str | int]]:
    return [(1, t) if isinstance(t, int) else (0, t) for t in path]


def _renumber(sels: list[list[str | int]], path: list[str | int]) -> None:
    prefix, idx = path[:-1], path[-1]
    assert isinstance(idx, int)
    n = len(prefix)
    for s in sels:
        if len(s) > n and s[:n] == prefix:
            tok = s[n]
            if isinstance(tok, int) and tok > idx:
                s[n] = tok - 1


def _selector(tokens: Iterable[str | int]) -> str:
    return ".".join(f"[{t}]" if isinstance(t, int) else t for t in tokens)
