"""The platform's HTTP API: one django-ninja API, each app adding its routers.

OpenAPI at ``/api/openapi.json``, documentation at ``/api/docs``."""

from ninja import NinjaAPI

from lyceum.speech.api import api_error_response
from lyceum.speech.api import router as speech_router
from lyceum.speech.errors import ERRORS
from lyceum.speech.errors import ApiError as SpeechApiError


def _description() -> str:
    rows = "\n".join(
        f"| `{code}` | {status} | {message} |" for code, (status, message) in ERRORS.items()
    )
    return f"""The school's API. **Speech tutor** (`/api/speech/v1/`): pronunciation assessment of a
recording of a reference text read aloud, for client organisations. Credentials are made on
the organisation's *Speech API* page: an API key (`X-Api-Key: lyk_…` or
`Authorization: Bearer lyk_…`) or an OAuth2 access token (client credentials at `/o/token/`).
Nothing is stored unless the client keeps recordings for its own review.

Every error is JSON, `{{"error": {{"code": "…", "message": "…"}}}}`, the message in the
language of `Accept-Language`. Branch on `code`; it never changes:

| code | HTTP status | meaning |
|---|---|---|
{rows}
"""


api = NinjaAPI(
    title="Lyceum API",
    version="1",
    description=_description(),
    urls_namespace="api",
    docs_url="/docs",
)

# The speech tutor API (P39, P40); its errors answer {"error": {"code", "message"}}.
api.add_router("/speech/v1/", speech_router)
api.add_exception_handler(SpeechApiError, api_error_response)
