"""Fixed-window attempt counters (login per email and per address), shared by every app instance."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class RateLimitWindow(SQLModel, table=True):
    __tablename__ = "rate_limit_windows"

    key: str = Field(max_length=200, primary_key=True)  # e.g. "login:email:ann@example.org"
    window_start: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    count: int = 0
