"""Exact and cross-lingual correlation: the same phone, group, person or town, however written.

Usage::

    import sqlite3
    from liaison.correlate import CorrelationIndex, match_names, normalise_observable

    match_names("Iyad Ag Ghali", "إياد أغ غالي", kind="person")
    # NameMatch(same=True, score=1.0, rule='exact', explanation="both normalise to 'iyad ghali'")
    normalise_observable("phone-number", "00223 76 12 34 56")   # '+22376123456'

    index = CorrelationIndex(sqlite3.connect("liaison.db"))
    index.add(stix_object, source="identity--…")   # or source="local"
    index.correlations_for(stix_object["id"])      # local analysts only (viewer="local")
    index.query_name("Amadou Kouffa", "person")

Correlations are local knowledge: no read path answers a partner (see ``index``).
"""

from liaison.correlate.aliases import AliasGroup, AliasTable, load_aliases
from liaison.correlate.index import CorrelationIndex
from liaison.correlate.model import (
    LOCAL,
    Candidate,
    Correlation,
    CorrelationConfig,
    default_block_list,
    lean_object,
    names_of,
)
from liaison.correlate.names import (
    THRESHOLDS,
    TOKEN_FLOOR,
    NameMatch,
    blocking_keys,
    cannot_match,
    lookup_keys,
    match_names,
    name_parts,
    normalise,
)
from liaison.correlate.observables import OBSERVABLE_KINDS, normalise_observable, observables_of
from liaison.correlate.text import KINDS
from liaison.text import transliterate_ar

__all__ = [
    "KINDS",
    "LOCAL",
    "OBSERVABLE_KINDS",
    "THRESHOLDS",
    "TOKEN_FLOOR",
    "AliasGroup",
    "AliasTable",
    "Candidate",
    "Correlation",
    "CorrelationConfig",
    "CorrelationIndex",
    "NameMatch",
    "blocking_keys",
    "cannot_match",
    "default_block_list",
    "lean_object",
    "load_aliases",
    "lookup_keys",
    "match_names",
    "name_parts",
    "names_of",
    "normalise",
    "normalise_observable",
    "observables_of",
    "transliterate_ar",
]
