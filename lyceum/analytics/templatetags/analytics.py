"""The staff page's filters: ``{{ count|suppressed }}`` shows a count, or "<5" when it is
small enough to single people out; names of devices and languages."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.utils.formats import number_format

from lyceum.analytics.models import Device
from lyceum.analytics.selectors import SMALL_COUNT

register = template.Library()


@register.filter
def suppressed(count: int | None) -> str:
    count = count or 0
    if 0 < count < SMALL_COUNT:
        return f"<{SMALL_COUNT}"
    return number_format(count, force_grouping=True)


@register.filter
def shown_value(count: int | None) -> int:
    """The value a chart may draw: nothing for a suppressed count."""
    count = count or 0
    return 0 if count < SMALL_COUNT else count


@register.filter
def device_name(value: str) -> str:
    return str(Device(value).label) if value in Device.values else value


@register.filter
def language_name(code: str) -> str:
    return str(dict(settings.LANGUAGES).get(code, code))
