"""Every API route, fuzzed from its own OpenAPI document by schemathesis as a signed-in user: no 5xx, and
no answer that the document does not describe (status, content type, headers, body).

Not checked, on purpose: that every schema-valid request is accepted (the document states shapes; the
services state rules it cannot, such as a phone number that parses or a campaign's state, and refuse a
request that breaks one with a 422 the document describes), nor that every schema-violating request is
refused (like every FastAPI app, ours ignores query parameters it does not know and takes the last of
a repeated one).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance
from sqlmodel import Session

from reachimpact.api.app import create_api
from tests.factories import auth_headers, make_member

# Bounded: a few examples per operation keep the whole run to about a minute on two cores.
EXAMPLES_PER_OPERATION = 12

schema = schemathesis.openapi.from_asgi("/api/openapi.json", create_api())


@pytest.fixture
def signed_in(session: Session) -> dict[str, str]:
    return auth_headers(make_member(session))


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,  # the same examples on every run: a failure here is reproducible
    suppress_health_check=list(HealthCheck),
)
def test_no_route_answers_a_5xx_or_outside_its_document(
    case: schemathesis.Case, signed_in: dict[str, str]
) -> None:
    case.call_and_validate(
        headers={**(case.headers or {}), **signed_in},
        excluded_checks=[positive_data_acceptance, negative_data_rejection],
    )
