"""Relationships the text states, read sentence by sentence from cue words.

- an armed group and an attack cue (attaque, ambush, revendiqué, هاجم, كمين …) in one
  sentence: the group ``targets`` the organizations and places of that sentence;
- an armed group and a presence cue (basé, active in, implanté, ينشط, معقل …): the group
  is ``located-at`` the places of that sentence;
- a person and a leadership cue (chef, leader, émir, زعيم, أمير, يتزعم …) between them or
  just before the pair, within 80 characters: the group is ``attributed-to`` that person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from liaison.extract.entities import RawEntity
from liaison.text import normalize, sentences

__all__ = ["Relation", "find_relations"]

_ATTACK = re.compile(
    r"attaqu|attack|assaut|assault|embuscade|ambush|revendiqu|claimed|claim|enlev|kidnap|"
    r"abduct|pilonn|shell|bombard|frapp|struck|raid|"
    r"هاجم|هجوم|الهجوم|تبنت|تبنى|كمين|استهدف|استهداف|اختطف|اختطاف|قصف"
)
_PRESENCE = re.compile(
    r"\bbase[es]?\b|\bimplant|\bactif|\bactive|\bopere|\boperat|\bbased\b|stronghold|bastion|"
    r"\bfief|retranch|ينشط|تنشط|معقل|تتمركز|يتمركز|تنتشر|ينتشر|تتخذ من|يتخذ من"
)
_LEADER = re.compile(
    r"\bchef\b|\bleader\b|\bemir\b|\bdirigeant|\bfondateur|\bfounder|\bhead\b|\bcommandant|"
    r"\bcommander|زعيم|أمير|امير|قائد|مؤسس|يتزعم|تتزعم|يقود|تقود"
)


@dataclass(frozen=True, slots=True)
class Relation:
    """``source`` —relationship_type→ ``target``, with the sentence that states it."""

    source: int  # index into the entity list
    relationship_type: str
    target: int
    start: int
    end: int


def find_relations(text: str, entities: list[RawEntity]) -> list[Relation]:
    """Relationships between ``entities`` stated in ``text``."""
    found: dict[tuple[int, str, int], Relation] = {}
    for s_start, s_end in sentences(text):
        raw = text[s_start:s_end]
        sentence = raw.lower() + "\n" + normalize(raw)
        inside = [
            (i, m.start)
            for i, e in enumerate(entities)
            for m in e.mentions
            if s_start <= m.start < s_end
        ]
        groups = sorted({i for i, _ in inside if entities[i].type == "armed-group"})
        if not groups:
            continue
        others = sorted({i for i, _ in inside if entities[i].type != "armed-group"})
        attack = _ATTACK.search(sentence) is not None
        presence = _PRESENCE.search(sentence) is not None
        for g in groups:
            for o in others:
                kind = entities[o].type
                if attack and kind in ("organization", "place"):
                    found.setdefault((g, "targets", o), Relation(g, "targets", o, s_start, s_end))
                if presence and not attack and kind == "place":
                    found.setdefault(
                        (g, "located-at", o), Relation(g, "located-at", o, s_start, s_end)
                    )
        for g, g_pos in ((i, p) for i, p in inside if entities[i].type == "armed-group"):
            for p, p_pos in ((i, p) for i, p in inside if entities[i].type == "person"):
                lo, hi = sorted((g_pos, p_pos))
                window = text[max(s_start, lo - 12) : hi]  # "يتزعم X GROUP", "leader X of GROUP"
                between = window.lower() + "\n" + normalize(window)
                if hi - lo < 80 and _LEADER.search(between):
                    found.setdefault(
                        (g, "attributed-to", p), Relation(g, "attributed-to", p, s_start, s_end)
                    )
    return list(found.values())
