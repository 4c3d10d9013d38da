from typing import Any

from django.conf import settings
from django.http import HttpRequest


def school(request: HttpRequest) -> dict[str, Any]:
    return {"school": settings.LYCEUM_SCHOOL}
