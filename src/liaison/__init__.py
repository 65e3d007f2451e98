"""Liaison: a secure intelligence-exchange node (STIX 2.1 over TAXII 2.1).

Sub-packages are named after domain concepts: ``stix``, ``markings``, ``policy``,
``signing``, ``store``, ``audit``, ``agreements``, ``taxii``, ``sync``, ``extract``,
``correlate``, ``web`` and ``cli``.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
