"""Email addresses: validated and compared in lower case."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from reachimpact.errors import Invalid


def normalize_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise Invalid(f"Email address is not valid: {exc}") from exc
