"""Settings: read from the environment, and refused in prod when they would be unsafe."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from reachimpact.db import PROJECT_ROOT
from reachimpact.settings import DEFAULT_SECRET_KEY, Settings, SettingsError

STRONG_KEY = "k" * 48


def prod(**overrides: str) -> Settings:
    values = {
        "app_env": "prod",
        "secret_key": STRONG_KEY,
        "public_base_url": "https://reachimpact.io",
        "database_url": "postgresql://app@db/reachimpact",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


def test_reads_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC123")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "token")
    monkeypatch.setenv("OPENAI_API_KEY", "")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    settings = Settings(_env_file=None)
    assert settings.twilio_enabled
    assert settings.openai_api_key is None and not settings.openai_enabled  # blank means unset
    assert settings.redis_url == "redis://127.0.0.1:6379/0"


def test_reads_dotenv_file(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_MODEL", raising=False)
    env_file = tmp_path / ".env"
    env_file.write_text("OPENAI_MODEL=gpt-test\n")
    assert Settings(_env_file=env_file).openai_model == "gpt-test"


def test_valid_production_settings_start() -> None:
    prod().check_for_production()


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"secret_key": DEFAULT_SECRET_KEY}, "SECRET_KEY"),
        ({"secret_key": ""}, "SECRET_KEY"),
        ({"secret_key": "short"}, "SECRET_KEY"),
        ({"public_base_url": "http://reachimpact.io"}, "PUBLIC_BASE_URL"),
        ({"database_url": ""}, "DATABASE_URL"),
    ],
)
def test_unsafe_production_settings_stop_startup(overrides: dict[str, str], complaint: str) -> None:
    with pytest.raises(SettingsError, match=complaint):
        prod(**overrides).check_for_production()


def test_development_defaults_are_accepted_outside_prod() -> None:
    Settings(_env_file=None, app_env="dev").check_for_production()


def test_app_and_worker_refuse_to_start_in_prod_with_unsafe_settings() -> None:
    env = {
        "PATH": os.environ["PATH"],
        "APP_ENV": "prod",
        "PUBLIC_BASE_URL": "http://insecure.example",
        "DATABASE_URL": os.environ["DATABASE_URL"],
    }
    for module in ("reachimpact.jobs", "reachimpact.reachimpact"):
        done = subprocess.run(
            [sys.executable, "-c", f"import {module}"],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode != 0, module
        assert "Refusing to start with APP_ENV=prod" in done.stderr
        assert "SECRET_KEY" in done.stderr and "PUBLIC_BASE_URL" in done.stderr
        assert "Traceback" not in done.stderr


def test_only_the_sites_own_origin_may_call_with_credentials() -> None:
    assert prod(public_base_url="https://reach.example.org/app").allowed_origins() == [
        "https://reach.example.org"
    ]
    dev = Settings(_env_file=None, app_env="dev", public_base_url="http://localhost:3000", frontend_port=3100)
    assert dev.allowed_origins() == [
        "http://localhost:3000",
        "http://localhost:3100",
        "http://127.0.0.1:3100",
    ]


def test_reflex_is_configured_with_those_origins_in_prod() -> None:
    env = {
        "PATH": os.environ["PATH"],
        "APP_ENV": "prod",
        "SECRET_KEY": STRONG_KEY,
        "PUBLIC_BASE_URL": "https://reach.example.org",
        "DATABASE_URL": os.environ["DATABASE_URL"],
    }
    done = subprocess.run(
        [sys.executable, "-c", "import rxconfig; print(list(rxconfig.config.cors_allowed_origins))"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "['https://reach.example.org']"
