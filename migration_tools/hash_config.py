"""A Firebase project's password hash parameters, as the console shows them.

Accepted as JSON ({"algorithm": "SCRYPT", "base64_signer_key": ..., "base64_salt_separator": ...,
"rounds": 8, "mem_cost": 14}) or as the console's own text block (`hash_config { algorithm: SCRYPT, ... }`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from reachimpact.services.firebase_scrypt import HashParameters

KEYS = ("base64_signer_key", "base64_salt_separator", "rounds", "mem_cost")


class HashConfigError(ValueError):
    pass


def parse_hash_config(text: str) -> dict:
    """The parameters as a dict with KEYS (and "algorithm"), from JSON or the console's text block."""
    text = text.strip()
    if text.startswith("{"):
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise HashConfigError(f"hash config is not valid JSON: {exc}") from exc
        # Firebase's own tools nest it: {"hash_config": {...}} / {"hashConfig": {...}}.
        raw = raw.get("hash_config") or raw.get("hashConfig") or raw
    else:
        raw = dict(re.findall(r"(\w+)\s*:\s*([^,\s}]+)", text))
    config = {k: raw.get(k, raw.get(_camel(k))) for k in (*KEYS, "algorithm")}
    algorithm = str(config.get("algorithm") or "SCRYPT").upper()
    if algorithm != "SCRYPT":
        raise HashConfigError(f"only Firebase's SCRYPT is supported, not {algorithm}")
    missing = [k for k in KEYS if config.get(k) in (None, "")]
    if missing:
        raise HashConfigError(f"hash config lacks {', '.join(missing)}")
    config["algorithm"] = "SCRYPT"
    config["rounds"] = int(config["rounds"])
    config["mem_cost"] = int(config["mem_cost"])
    to_parameters(config)  # fail now on bad base64 or out-of-range numbers
    return config


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(p.title() for p in rest)


def load_hash_config(path: Path) -> dict:
    try:
        return parse_hash_config(path.read_text())
    except OSError as exc:
        raise HashConfigError(f"cannot read hash config {path}: {exc}") from exc


def to_parameters(config: dict) -> HashParameters:
    try:
        return HashParameters.from_console(
            base64_signer_key=str(config["base64_signer_key"]),
            base64_salt_separator=str(config["base64_salt_separator"]),
            rounds=int(config["rounds"]),
            mem_cost=int(config["mem_cost"]),
        )
    except ValueError as exc:
        raise HashConfigError(f"hash config is not usable: {exc}") from exc
