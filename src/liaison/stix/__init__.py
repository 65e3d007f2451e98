"""STIX 2.1 at the boundary: validation, identifiers, timestamps, references.

Usage::

    from liaison.stix import new_id, now_timestamp, validate_object

    ts = now_timestamp()
    obj = {"type": "identity", "spec_version": "2.1", "id": new_id("identity"),
           "created": ts, "modified": ts, "name": "DGSE liaison cell"}
    assert validate_object(obj) == []
    validate_object({"type": "indicator", "id": "foo"})
    # ["id 'foo' is not of the form <type>--<UUID>", ...]

What ``validate_object`` checks: type and id syntax (``<type>--<RFC 4122 UUID>``),
``spec_version`` "2.1", ``created``/``modified`` (millisecond precision, modified not
earlier), the required and typed properties of every STIX 2.1 SDO, SRO, SCO and meta
object, every ``*_ref``/``*_refs`` at any depth (with target types where STIX fixes
them), external references, granular markings (selectors must resolve), extensions,
property names, reserved names, empty lists, language tags, ``*_hex``/``*_bin``, and
the structure of STIX patterns (brackets, strings, object paths). Custom types and
properties are accepted and kept. Not checked: the full pattern grammar, open
vocabularies, the format of SCO values (URLs, addresses).

Pure Python and fast (tens of thousands of objects per second); the ``stix2`` and
``stix2-validator`` packages are used only by the tests, as an oracle.
"""

from liaison.stix.ids import id_type, is_identifier, is_type_name, new_id
from liaison.stix.refs import iter_refs
from liaison.stix.timestamps import (
    compare_timestamps,
    format_timestamp,
    is_timestamp,
    now_timestamp,
    parse_timestamp,
    timestamp_us,
)
from liaison.stix.validate import object_version, validate_object

__all__ = [
    "compare_timestamps",
    "format_timestamp",
    "id_type",
    "is_identifier",
    "is_timestamp",
    "is_type_name",
    "iter_refs",
    "new_id",
    "now_timestamp",
    "object_version",
    "parse_timestamp",
    "timestamp_us",
    "validate_object",
]
