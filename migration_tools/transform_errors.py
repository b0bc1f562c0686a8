"""Why the transform stops (TransformError) or turns one document away (Rejected, into rejects.jsonl)."""

from __future__ import annotations


class TransformError(Exception):
    """The export cannot be transformed at all (as opposed to one bad document, which is rejected)."""


class Rejected(Exception):
    """One document cannot become a row; the message is the reason written to rejects.jsonl."""
