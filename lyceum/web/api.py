"""The platform's HTTP API: one django-ninja API, each app adding its routers.

OpenAPI at ``/api/openapi.json``, documentation at ``/api/docs``."""

from ninja import NinjaAPI

from lyceum.speech.api import api_error_response
from lyceum.speech.api import router as speech_router
from lyceum.speech.errors import ApiError as SpeechApiError

api = NinjaAPI(
    title="Lyceum API",
    version="1",
    urls_namespace="api",
    docs_url="/docs",
)

# The speech tutor API (P39, P40); its errors answer {"error": {"code", "message"}}.
api.add_router("/speech/v1/", speech_router)
api.add_exception_handler(SpeechApiError, api_error_response)
