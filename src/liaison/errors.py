"""One root error, families by who is at fault.

Domain code raises these; the TAXII layer maps each family to an HTTP status and a
TAXII error object in one place (``liaison.taxii.errors``), the CLI prints
``str(error)`` as one line.
"""

from __future__ import annotations

__all__ = [
    "AgreementError",
    "ConfigError",
    "ConflictError",
    "DeniedError",
    "InvalidInputError",
    "InvalidStixError",
    "LiaisonError",
    "NotAcceptableError",
    "NotFoundError",
    "PolicyError",
    "SignatureError",
    "StorageError",
    "TooLargeError",
    "UnauthenticatedError",
    "UnsupportedMediaTypeError",
]


class LiaisonError(Exception):
    """Root of every error Liaison raises on purpose."""

    def __init__(self, message: str, *, details: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}

    def __str__(self) -> str:
        return self.message


# --- the caller is at fault -------------------------------------------------------------
class InvalidInputError(LiaisonError):
    """Malformed request, body, parameter or file."""


class InvalidStixError(InvalidInputError):
    """An object that breaks a STIX 2.1 rule."""


class TooLargeError(InvalidInputError):
    """A body or document over the configured limit."""


class UnsupportedMediaTypeError(InvalidInputError):
    """A request body in a media type the endpoint does not accept."""


class NotAcceptableError(InvalidInputError):
    """No acceptable response media type."""


class NotFoundError(LiaisonError):
    """Unknown resource -- or one the caller may not learn exists."""


class ConflictError(LiaisonError):
    """The request conflicts with the current state."""


class ConfigError(LiaisonError):
    """A settings file or node home that cannot be used."""


# --- the caller is not allowed --------------------------------------------------------
class UnauthenticatedError(LiaisonError):
    """Missing or wrong credentials."""


class DeniedError(LiaisonError):
    """Authenticated, but not permitted."""


class PolicyError(DeniedError):
    """A release or a derivation refused by the policy engine."""


class AgreementError(LiaisonError):
    """An agreement that is malformed, not signed by all, or not in force."""


# --- cryptography ---------------------------------------------------------------------
class SignatureError(LiaisonError):
    """A forged, altered, unknown-key or revoked-key signature."""


# --- the node itself is at fault ------------------------------------------------------
class StorageError(LiaisonError):
    """The store failed (disk full, database unreachable, corrupt file)."""
