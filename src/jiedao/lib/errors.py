"""One domain error type with stable codes.

Services raise ``DomainError``; views show ``message`` to the person, the API maps ``code`` to an
HTTP status once. Messages are lazy translations so they come out in the reader's language.
"""

from __future__ import annotations


class DomainError(Exception):
    code = "domain_error"

    def __init__(self, message, *, code: str | None = None, field: str | None = None, **context):
        super().__init__(str(message))
        self.message = message
        if code:
            self.code = code
        self.field = field
        self.context = context

    def __str__(self) -> str:
        return str(self.message)


class ValidationFailed(DomainError):
    """Input that a person can correct; ``errors`` maps field names to messages."""

    code = "invalid"

    def __init__(self, errors: dict[str, list]):
        first = next(iter(errors.values()))[0] if errors else ""
        super().__init__(first)
        self.errors = errors


class DuplicateApplication(DomainError):
    """The person already has an open application in the programme.

    ``message`` never names the existing case (knowing an ID number must not reveal that someone
    applied, nor their reference); ``application`` is the existing case, so that each desk can
    decide what its reader may be told (staff within their scope, the partner that filed it)."""

    code = "duplicate_application"

    def __init__(self, message, *, reference: str, application=None):
        super().__init__(message, reference=reference)
        self.reference = reference
        self.application = application


class StorageUnavailable(DomainError):
    """The document store refused a photo (disk full, object store unreachable): try again later."""

    code = "storage_unavailable"


class ProgrammeClosed(DomainError):
    code = "programme_closed"
