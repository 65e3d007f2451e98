"""Free text (French, Arabic, English) to a draft STIX 2.1 bundle.

Usage::

    from datetime import date
    from liaison.extract import extract_text, load_organizations

    draft = extract_text("Le JNIM a attaqué les FAMa près de Tessalit hier.",
                         lang="auto", document_date=date(2026, 3, 15), source="field report")
    draft.lang                      # "fr"
    draft.bundle                    # STIX 2.1 bundle dict: report + identities, ...
    [(e.type, e.text, e.spans) for e in draft.entities]
    load_organizations()[0].acronyms  # ("JNIM", "GSIM")

For ``POST /extract``: ``extract_request(json_body).to_dict()``.

Models, gazetteer and tables load lazily, once per process; call ``preload()`` at server
start to pay that cost (a few seconds) up front. Drafts are local and unmarked; nothing
here shares anything.
"""

from liaison.extract.draft import (
    MAX_TEXT_CHARS,
    Draft,
    Entity,
    Span,
    extract_request,
    extract_text,
    preload,
)
from liaison.extract.lang import detect_language
from liaison.extract.lexicon import OrgEntry, Place, load_organizations, load_places
from liaison.text import normalize_arabic

__all__ = [
    "MAX_TEXT_CHARS",
    "Draft",
    "Entity",
    "OrgEntry",
    "Place",
    "Span",
    "detect_language",
    "extract_request",
    "extract_text",
    "load_organizations",
    "load_places",
    "normalize_arabic",
    "preload",
]
