"""The platform's HTTP API: one django-ninja API, each app adding its routers.

OpenAPI at ``/api/openapi.json``, documentation at ``/api/docs``."""

from ninja import NinjaAPI

api = NinjaAPI(
    title="Lyceum API",
    version="1",
    urls_namespace="api",
    docs_url="/docs",
)
