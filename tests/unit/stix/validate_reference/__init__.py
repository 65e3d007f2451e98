"""A frozen copy of ``liaison.stix`` validation as it was before issue #15's rewrite.

Taken unchanged from commit a6dd6f0 (``src/liaison/stix/{_show,ids,refcheck,refs,rules,
timestamps,validate}.py``), only the imports pointed here; the data tables (``vocab``)
are the node's own, re-exported. It is the oracle of
``test_stix_validate_equivalence.py``: the optimised ``validate_object`` (and
``refs.links``) must give byte-identical reasons, warnings and links. Never edit these
files to make that test pass; when a verdict is meant to change, change the test's
expectation there, explicitly.
"""
