"""Domain errors raised by services; the API and the UI each turn them into a response in one place."""

from __future__ import annotations


class DomainError(Exception):
    """Base of the errors a user can be told about."""


class NotFound(DomainError):
    """The row does not exist, or belongs to another organization (never told apart)."""


class Forbidden(DomainError):
    """The actor may not do this in their own organization."""


class Invalid(DomainError):
    """The input breaks a rule; the message says which."""


class Conflict(DomainError):
    """The input collides with what exists (e.g. an email already registered)."""


class Unauthorized(DomainError):
    """Not signed in, or the credentials are wrong or no longer valid."""


class RateLimited(DomainError):
    """Too many attempts; `retry_after` seconds until the next is allowed."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
