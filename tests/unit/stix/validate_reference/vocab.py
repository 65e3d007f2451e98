"""The STIX tables the reference reads: the node's own (``liaison.stix.vocab``).

Data only, no logic, and unchanged by issue #15: the oracle freezes how the tables are
checked, not the tables themselves (a copy would only have to follow every change).
"""

from __future__ import annotations

from liaison.stix.vocab import *  # noqa: F403
from liaison.stix.vocab import __all__ as __all__
