"""Shared UI pieces: the page frame (layout), tables, badges, stat cards, empty and loading states."""
