"""A small fake of Twilio's REST API on loopback, for the real `twilio` SDK to talk to.

It records every request exactly as the SDK sent it (path, form fields with repeats, credentials),
answers like Twilio (a call resource, an error with its code, a page of calls), and can play Twilio's
part afterwards: POST a signed status callback to the StatusCallback it was given.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
from fastapi.testclient import TestClient
from twilio.request_validator import RequestValidator

from reachimpact.services.telephony import signatures
from reachimpact.services.telephony.urls import public_url

ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "fake-twilio-auth-token"


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, list[str]]
    credentials: tuple[str, str] | None


@dataclass
class FakeTwilio:
    """Start with `start()`; `base_url` is what TWILIO_API_BASE_URL should be."""

    # To-number → (HTTP status, Twilio error code) answered instead of creating the call.
    refuse: dict[str, tuple[int, int]] = field(default_factory=dict)
    # When set, each created call gets a signed "completed" status callback this many seconds later.
    complete_after: float | None = None
    # How long creating a call takes (Twilio's own answer is not instant).
    create_delay: float = 0.0
    requests: list[Recorded] = field(default_factory=list)
    in_flight: int = 0  # calls being created right now
    calls: dict[str, dict] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> FakeTwilio:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _record(self) -> Recorded | None:
                """The request as sent; None when its sender was gone before the body was whole (a
                worker killed mid-request), which Twilio never acts on either."""
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if len(raw) < length:
                    return None
                body = raw.decode()
                credentials = None
                auth = self.headers.get("Authorization", "")
                if auth.startswith("Basic "):
                    user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
                    credentials = (user, password)
                recorded = Recorded(
                    self.command,
                    parts.path,
                    parse_qs(parts.query),
                    parse_qs(body, keep_blank_values=True),
                    credentials,
                )
                with fake.lock:
                    fake.requests.append(recorded)
                return recorded

            def _answer(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                recorded = self._record()
                if recorded is None:
                    return
                if not recorded.path.endswith("/Calls.json"):  # one call: /Calls/{sid}.json
                    sid = recorded.path.rsplit("/", 1)[-1].removesuffix(".json")
                    with fake.lock:
                        call = fake.calls.get(sid)
                    if call is None:
                        self._answer(404, {"code": 20404, "message": "not found", "status": 404})
                    else:
                        self._answer(200, call)
                    return
                to, from_ = recorded.query.get("To", [None])[0], recorded.query.get("From", [None])[0]
                with fake.lock:
                    found = [
                        c
                        for c in reversed(fake.calls.values())
                        if (to is None or c["to"] == to) and (from_ is None or c["from"] == from_)
                    ]
                self._answer(
                    200,
                    {
                        "calls": found,
                        "page": 0,
                        "page_size": 50,
                        "next_page_uri": None,
                        "uri": recorded.path,
                        "first_page_uri": recorded.path,
                        "start": 0,
                        "end": len(found),
                        "previous_page_uri": None,
                    },
                )

            def do_POST(self) -> None:  # noqa: N802
                recorded = self._record()
                if recorded is None:
                    return
                if recorded.credentials != (ACCOUNT_SID, AUTH_TOKEN):
                    self._answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
                    return
                if recorded.path.endswith("/Calls.json"):
                    self._create(recorded)
                    return
                sid = recorded.path.rsplit("/", 1)[-1].removesuffix(".json")
                with fake.lock:
                    call = fake.calls.get(sid)
                    if call is not None and recorded.form.get("Status") == ["completed"]:
                        call["status"] = "completed"
                if call is None:
                    self._answer(404, {"code": 20404, "message": "not found", "status": 404})
                else:
                    self._answer(200, call)

            def _create(self, recorded: Recorded) -> None:
                with fake.lock:
                    fake.in_flight += 1
                try:
                    time.sleep(fake.create_delay)
                finally:
                    with fake.lock:
                        fake.in_flight -= 1
                to = recorded.form["To"][0]
                if to in fake.refuse:
                    status, code = fake.refuse[to]
                    self._answer(
                        status,
                        {
                            "code": code,
                            "message": f"error {code}",
                            "status": status,
                            "more_info": f"https://www.twilio.com/docs/errors/{code}",
                        },
                    )
                    return
                sid = "CA" + uuid.uuid4().hex
                call = {
                    "sid": sid,
                    "account_sid": ACCOUNT_SID,
                    "to": to,
                    "from": recorded.form["From"][0],
                    "status": "queued",
                    "date_created": format_datetime(datetime.now(UTC), usegmt=True),
                    "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{sid}.json",
                }
                with fake.lock:
                    fake.calls[sid] = call
                if fake.complete_after is not None:
                    # The call happens whether or not our answer reaches the client (it may have died).
                    callback = recorded.form["StatusCallback"][0]
                    threading.Thread(target=fake._complete, args=(call, callback), daemon=True).start()
                self._answer(201, call)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _complete(self, call: dict, callback: str) -> None:
        time.sleep(self.complete_after or 0)
        fields = {
            "AccountSid": ACCOUNT_SID,
            "CallSid": call["sid"],
            "CallStatus": "completed",
            "CallDuration": "3",
            "From": call["from"],
            "To": call["to"],
            "Direction": "outbound-api",
            "ApiVersion": "2010-04-01",
        }
        signature = RequestValidator(AUTH_TOKEN).compute_signature(callback, fields)
        for _ in range(20):  # like Twilio, retry while our endpoint is not answering
            try:
                httpx.post(callback, data=fields, headers={"X-Twilio-Signature": signature}, timeout=5)
                return
            except httpx.HTTPError:
                time.sleep(0.25)

    def creates(self) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if r.method == "POST" and r.path.endswith("/Calls.json")]


def signed_post(
    client: TestClient, path_and_query: str, fields: dict[str, str], *, signature: str | None = None
) -> httpx.Response:
    """POST form fields the way Twilio does: signed for PUBLIC_BASE_URL + path (+ query)."""
    if signature is None:
        signature = signatures.sign(public_url(path_and_query), list(fields.items()))
    return client.post(path_and_query, data=fields, headers={signatures.SIGNATURE_HEADER: signature})
