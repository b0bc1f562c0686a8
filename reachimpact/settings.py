"""The one settings object: read from the environment and `.env`."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal
from urllib.parse import urlsplit

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Shipped so `make run` works out of the box; refused in prod (see `check_for_production`).
DEFAULT_SECRET_KEY = "dev-only-insecure-secret-key-change-me-in-production"


class SettingsError(RuntimeError):
    """Raised when the configuration cannot be used to start the app."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    app_env: Literal["dev", "test", "prod"] = "dev"
    # Unset: an embedded PostgreSQL under .data/ (see reachimpact.db).
    database_url: str | None = None
    secret_key: str = DEFAULT_SECRET_KEY
    public_base_url: str = "http://localhost:3000"
    # Where `make run`'s development frontend serves the pages (its FRONTEND_PORT).
    frontend_port: int = 3000

    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_from_number: str | None = None
    # Another address for Twilio's REST API (tests point the real SDK at a fake server on loopback).
    twilio_api_base_url: str | None = None

    # The call simulator (used when Twilio is not configured): how fast its calls unfold (0.1 = ten
    # times faster than real calls), and where it delivers its webhooks when that is not
    # PUBLIC_BASE_URL (in development the API listens on the backend port, not the page port).
    simulator_time_scale: float = 1.0
    simulator_delivery_url: str | None = None
    # A dial recorded but never confirmed with a SID (the worker died in between) is reconciled with
    # the provider after this long.
    dialer_unconfirmed_after_seconds: float = 60.0
    # How long the job worker waits for a database that refuses connections before it exits (non-zero).
    worker_database_outage_seconds: float = 60.0

    openai_api_key: str | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"

    redis_url: str | None = None
    log_level: str = "INFO"
    # A header the proxy in front of us sets to the caller's address (Fly: Fly-Client-IP). Unset, the
    # peer address is used; set it only behind a proxy that overwrites it, or callers could forge it.
    trusted_client_ip_header: str | None = None

    @field_validator(
        "database_url",
        "twilio_account_sid",
        "twilio_auth_token",
        "twilio_from_number",
        "twilio_api_base_url",
        "simulator_delivery_url",
        "openai_api_key",
        "openai_base_url",
        "redis_url",
        "trusted_client_ip_header",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # `FOO=` in .env means "not set", not "set to the empty string".
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def twilio_enabled(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    @property
    def openai_enabled(self) -> bool:
        return bool(self.openai_api_key)

    def allowed_origins(self) -> list[str]:
        """The origins whose pages may call the backend with the user's credentials (CORS, websocket).

        PUBLIC_BASE_URL's origin, where the pages are served; in development also the dev frontend's
        (`make run` serves pages on FRONTEND_PORT and the backend on another port). In tests any: the
        app harness starts its frontend on a free port only after the backend is up.
        """
        if self.app_env == "test":
            return ["*"]
        parts = urlsplit(self.public_base_url)
        origins = [f"{parts.scheme}://{parts.netloc}"]
        if self.app_env == "dev":
            origins += [f"http://{host}:{self.frontend_port}" for host in ("localhost", "127.0.0.1")]
        return list(dict.fromkeys(origins))

    def check_for_production(self) -> None:
        """Refuse to start in prod with settings that would be unsafe there."""
        if self.app_env != "prod":
            return
        problems = []
        if not self.secret_key or self.secret_key == DEFAULT_SECRET_KEY or len(self.secret_key) < 32:
            problems.append(
                "SECRET_KEY is missing, the development default, or shorter than 32 characters; "
                'set one, e.g. `python -c "import secrets; print(secrets.token_urlsafe(48))"`'
            )
        if not self.public_base_url.startswith("https://"):
            problems.append(
                f"PUBLIC_BASE_URL must be an https:// address in prod (got {self.public_base_url!r})"
            )
        if not self.database_url:
            problems.append("DATABASE_URL must be set in prod (the embedded PostgreSQL is for development)")
        if problems:
            raise SettingsError("Refusing to start with APP_ENV=prod:\n- " + "\n- ".join(problems))


@lru_cache
def get_settings() -> Settings:
    return Settings()


def require_startable_settings() -> Settings:
    """The settings, or exit with the reasons they cannot be used (for process entry points)."""
    settings = get_settings()
    try:
        settings.check_for_production()
    except SettingsError as exc:
        raise SystemExit(str(exc)) from None
    return settings
