"""Relationships the text states, read sentence by sentence from cue words.

- an armed group and an attack cue (attaque, ambush, revendiqué, assiégé, هاجم، كمين،
  حاصر …) in one sentence: the group ``targets`` the organizations and places of that
  sentence;
- an armed group and a presence cue (basé, active in, implanté, opère, ينشط، معقل،
  أقامت …): the group is ``located-at`` the places of that sentence;
- a person and a leadership cue (chef, leader, émir, dirigé par, led by, headed by,
  بقيادة، زعيم، أمير، يتزعم …) between them or just before the pair, within 80
  characters: the group is ``attributed-to`` that person.

Simple coreference: in a sentence that names no armed group, "le groupe", "the group",
"الجماعة", "التنظيم" (and a few more) stand for the armed group named last before them,
so "Le JNIM … Le groupe est basé à Kidal" still places the JNIM at Kidal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from liaison.extract.entities import RawEntity
from liaison.text import normalize, sentences

__all__ = ["Relation", "find_relations"]

_ATTACK = re.compile(
    r"attaqu|attack|assaut|assault|embuscade|ambush|revendiqu|claimed|claim|enlev|kidnap|"
    r"abduct|pilonn|shell|bombard|frapp|struck|raid|assieg|besieg|blockad|blocus|siege|"
    r"pris pour cible|prend pour cible|targeted|cibl|"
    r"هاجم|هجوم|الهجوم|تبنت|تبنى|كمين|استهدف|استهداف|اختطف|اختطاف|قصف|حاصر|حصار"
)
_PRESENCE = re.compile(
    r"\bbase[es]?\b|\bimplant|\bactif|\bactive|\bopere|\boperat|\bbased\b|stronghold|bastion|"
    r"\bfief|retranch|\bpresent|\bpresence|\binstalle|\bcamps?\b|\bsignale|\bapercu|"
    r"\breported (?:in|across|near|around)|\bspotted|\bsighted|رصد|شوهد|"
    r"ينشط|تنشط|معقل|تتمركز|يتمركز|تنتشر|ينتشر|تتخذ من|يتخذ من|اقامت|اقام|معسكرات|قواعد"
)
_LEADER = re.compile(
    r"\bchef\b|\bleader\b|\bemir\b|\bdirig|\bfondateur|\bfounder|\bfounded by|\bfonde par|"
    r"\bhead\b|\bheaded by|\bcommand|\bled by|\bconduit par|\bmene par|\bsous la direction|"
    r"\bloyal to|\bfideles? a|\bsecretaire general|\bsecretary.general|"
    r"زعيم|أمير|امير|قائد|مؤسس|يتزعم|تتزعم|يقود|تقود|قاد|بقيادة|بقياده|بزعامة|بزعامه|"
    r"يقودها|يتزعمها|الأمين العام|الامين العام|أسس|اسس|يؤسس"
)
# "y", "there", "هناك": the places of the sentence before.
_THERE = re.compile(r"\by\s+(?:a|ont|est|sont|avait)\b|\bthere\b|هناك")
# Phrases standing for a group named before: "le groupe", "the group", "الجماعة".
_COREFERENT = re.compile(
    r"\b(?:[Ll]e|[Cc]e|du|au|[Tt]he|[Tt]his|[Tt]hat)\s+(?:groupe|group|mouvement|movement|"
    r"katiba|jihadist group|groupe jihadiste|groupe armé|armed group)\b(?!\s+(?:[A-Z]|d[e'’]))"
    r"|(?<!\w)[وفبل]?(?:ال|لل)(?:جماعة|تنظيم|كتيبة|حركة)(?!\w)"
)


@dataclass(frozen=True, slots=True)
class Relation:
    """``source`` —relationship_type→ ``target``, with the sentence that states it."""

    source: int  # index into the entity list
    relationship_type: str
    target: int
    start: int
    end: int


def _mentions(entities: list[RawEntity]) -> list[tuple[int, int]]:
    """(entity index, offset) of every mention, in text order."""
    return sorted(
        ((i, m.start) for i, e in enumerate(entities) for m in e.mentions), key=lambda x: x[1]
    )


def _coreferents(
    text: str, s_start: int, s_end: int, entities: list[RawEntity], mentions: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """(group index, offset) for the group phrases of a sentence that names no group."""
    out: list[tuple[int, int]] = []
    for m in _COREFERENT.finditer(text, s_start, s_end):
        before = [i for i, pos in mentions if pos < m.start() and entities[i].type == "armed-group"]
        if before:
            out.append((before[-1], m.start()))
    return out


def find_relations(text: str, entities: list[RawEntity]) -> list[Relation]:
    """Relationships between ``entities`` stated in ``text``."""
    found: dict[tuple[int, str, int], Relation] = {}
    mentions = _mentions(entities)
    previous: list[int] = []
    for s_start, s_end in sentences(text):
        raw = text[s_start:s_end]
        sentence = raw.lower() + "\n" + normalize(raw)
        inside = [(i, pos) for i, pos in mentions if s_start <= pos < s_end]
        places_before, previous = previous, [i for i, _ in inside if entities[i].type == "place"]
        group_mentions = [(i, p) for i, p in inside if entities[i].type == "armed-group"]
        if not group_mentions:
            group_mentions = _coreferents(text, s_start, s_end, entities, mentions)
        if not group_mentions:
            continue
        groups = sorted({i for i, _ in group_mentions})
        others = sorted({i for i, _ in inside if entities[i].type != "armed-group"})
        attack = _ATTACK.search(sentence) is not None
        presence = _PRESENCE.search(sentence) is not None
        if presence and not previous and _THERE.search(raw):
            others = sorted(set(others) | set(places_before))
        for g in groups:
            for o in others:
                kind = entities[o].type
                if attack and kind in ("organization", "place"):
                    found.setdefault((g, "targets", o), Relation(g, "targets", o, s_start, s_end))
                if presence and not attack and kind == "place":
                    found.setdefault(
                        (g, "located-at", o), Relation(g, "located-at", o, s_start, s_end)
                    )
        for g, g_pos in group_mentions:
            for p, p_pos in ((i, p) for i, p in inside if entities[i].type == "person"):
                lo, hi = sorted((g_pos, p_pos))
                window = text[max(s_start, lo - 12) : hi]  # "يتزعم X GROUP", "leader X of GROUP"
                between = window.lower() + "\n" + normalize(window)
                if hi - lo < 80 and _LEADER.search(between):
                    found.setdefault(
                        (g, "attributed-to", p), Relation(g, "attributed-to", p, s_start, s_end)
                    )
    return list(found.values())
