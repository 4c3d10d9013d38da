"""The speech API against its own OpenAPI schema, with schemathesis (run in CI).

Schemathesis reads the schema ``/api/openapi.json`` serves and sends generated requests,
valid and invalid, to every speech operation of the WSGI application: no answer may be a
server error, and every answer must be one the schema documents (status, content type, body,
headers). The number of examples is bounded so this takes seconds, not minutes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from ninja.responses import NinjaJSONEncoder
from schemathesis.config import SchemathesisConfig

from lyceum.orgs.models import Organisation
from lyceum.orgs.services import organisation_create
from lyceum.speech import services
from lyceum.speech.models import ApiClient
from lyceum.web.api import api

pytestmark = pytest.mark.django_db


# A schema can say "a binary file", not "a recording of someone reading the text": random
# bytes that fit the schema are rightly refused as unreadable audio (422), or too large (413).
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "401", "403", "404", "413", "422", "429"]
            }
        }
    }
)


def _load() -> Any:
    # The document /api/openapi.json serves, read without a request: the schema is loaded
    # when the tests are collected, when no database may be used yet.
    document = json.loads(
        json.dumps(api.get_openapi_schema(path_prefix="/api/"), cls=NinjaJSONEncoder)
    )
    loaded = schemathesis.openapi.from_dict(document, config=CONFIG)
    loaded.app = get_wsgi_application()
    return loaded.include(path_regex="^/api/speech/")


schema = _load()


@pytest.fixture
def api_key(db: Any) -> Iterator[str]:
    organisation = organisation_create(actor=None, name="Fuzz", kind=Organisation.Kind.COMPANY)
    client = services.api_client_create(actor=None, organisation=organisation, name="Fuzzer")
    ApiClient.objects.filter(pk=client.pk).update(requests_per_minute=10_000)
    key = services.api_key_create(
        actor=None, client=client, label="fuzz", scopes=["assess", "usage"]
    ).plaintext
    # As Django's test client does: a request ending must not close the test's connection
    # (and with it the transaction the test runs in).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield key
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_speech_api_keeps_to_its_schema(case: Any, api_key: str) -> None:
    case.call_and_validate(headers={"X-Api-Key": api_key})
