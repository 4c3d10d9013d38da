"""Back office of the speech API: staff set each client's rate limit and see (never edit)
its keys, usage and jobs. django-oauth-toolkit's own admin pages are removed: OAuth2
credentials belong to API clients and are made on the developer page, never for a person."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from oauth2_provider.models import (
    AccessToken,
    Application,
    DeviceGrant,
    Grant,
    IDToken,
    RefreshToken,
)

from lyceum.privacy.admin import AuditedModelAdmin
from lyceum.speech.models import ApiClient, ApiKey, ApiUsage, AssessmentJob

for _model in (Application, AccessToken, RefreshToken, Grant, IDToken, DeviceGrant):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ApiKeyInline(ReadOnlyInline):
    model = ApiKey
    fields = readonly_fields = (
        "label",
        "prefix",
        "scopes",
        "created_at",
        "last_used_at",
        "revoked_at",
    )


class ApiUsageInline(ReadOnlyInline):
    model = ApiUsage
    fields = readonly_fields = ("day", "requests", "refused", "audio_seconds")

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).order_by("-day")


@admin.register(ApiClient)
class ApiClientAdmin(AuditedModelAdmin):
    list_display = ["name", "organisation", "requests_per_minute", "review_days", "created_at"]
    search_fields = ["name", "organisation__name"]
    fields = ["organisation", "name", "requests_per_minute", "review_days", "oauth_application"]
    readonly_fields = ["organisation", "name", "review_days", "oauth_application"]
    inlines = [ApiKeyInline, ApiUsageInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # clients are made by their organisation on the developer page


@admin.register(AssessmentJob)
class AssessmentJobAdmin(admin.ModelAdmin):
    list_display = ["id", "client", "status", "error_code", "audio_seconds", "created_at"]
    list_filter = ["status"]
    fields = readonly_fields = (
        "client",
        "status",
        "language",
        "audio_seconds",
        "error_code",
        "created_at",
        "finished_at",
        "expires_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
