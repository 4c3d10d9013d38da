"""The back office of the privacy engine: staff answer rights requests and see its records.

Opening a request is audit-logged (P15); answering it goes through the services, which log
and tell the person."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from lyceum.privacy.audit import audit_record
from lyceum.privacy.models import (
    LegalHold,
    ProcessingLimit,
    ProcessorNotice,
    RetentionRun,
    RightsRequest,
)
from lyceum.privacy.services import erasure_cancel, processing_limit_set, rights_request_answer


class StaffOnly:
    """The DPO, superusers, and staff granted the model's permissions use these pages (P15);
    nobody adds or deletes rows here."""

    def _privacy_officer(self, request: HttpRequest) -> bool:
        user: Any = request.user
        return bool(user.is_active and user.is_staff and (user.is_dpo or user.is_superuser))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._privacy_officer(request) or super().has_module_permission(request)  # type: ignore[misc]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._privacy_officer(request) or super().has_view_permission(request, obj)  # type: ignore[misc]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AnswerForm(forms.ModelForm):
    status = forms.ChoiceField(
        label=_("answer"),
        choices=[
            (RightsRequest.Status.DONE.value, RightsRequest.Status.DONE.label),
            (RightsRequest.Status.REFUSED.value, RightsRequest.Status.REFUSED.label),
        ],
    )
    outcome = forms.CharField(
        label=_("message to the person"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Sent by email; say what you changed, or why you refuse."),
    )

    class Meta:
        model = RightsRequest
        fields = ["status", "outcome"]


@admin.register(RightsRequest)
class RightsRequestAdmin(StaffOnly, admin.ModelAdmin):  # type: ignore[type-arg]
    """Self-service requests are answered here; requests that came by form or email, and those
    an organisation decides (P30), are worked at the request desk, which checks identity and
    keeps their deadline (P47): "View on site" opens them there."""

    list_display = [
        "created_at",
        "kind",
        "channel",
        "status",
        "due_at",
        "overdue",
        "scheduled_for",
    ]
    list_filter = ["kind", "status", "channel"]
    ordering = ["due_at"]
    readonly_fields = [
        "public_id",
        "kind",
        "channel",
        "user",
        "requester_name",
        "requester_email",
        "on_behalf",
        "representative_of",
        "subject_name",
        "subject_email",
        "details",
        "created_at",
        "due_at",
        "email_confirmed_at",
        "verified_at",
        "verification_method",
        "verification_note",
        "extended_at",
        "extension_reason",
        "scheduled_for",
        "completed_at",
        "handled_by",
        "files_sent",
        "report",
    ]
    actions = ["keep_account"]

    @admin.display(boolean=True, description=_("overdue"))
    def overdue(self, obj: RightsRequest) -> bool:
        return obj.is_open and obj.due_at < timezone.now()

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Staff answer open requests other than erasures, which run by themselves (staff may
        # only withdraw those, with the action, at the person's request).
        allowed = self._privacy_officer(request) or admin.ModelAdmin.has_change_permission(
            self, request, obj
        )
        if obj is None:
            return allowed
        at_the_desk = obj.channel != RightsRequest.Channel.SELF_SERVICE or obj.routed
        return (
            allowed and obj.is_open and obj.kind != RightsRequest.Kind.ERASURE and not at_the_desk
        )

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):  # type: ignore[no-untyped-def]
        kwargs["form"] = AnswerForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        answerable = self.has_change_permission(request, obj)
        return [*self.readonly_fields, *(["status", "outcome"] if answerable else ["status"])]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if self.has_change_permission(request, obj):
            return list(self.readonly_fields)
        return [*self.readonly_fields, "status", "outcome"]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            obj = self.get_object(request, object_id)
            audit_record(
                action="staff.viewed", actor=request.user, target=obj, subject=obj and obj.user_id
            )
        return response

    def save_model(self, request: HttpRequest, obj: RightsRequest, form: Any, change: bool) -> None:
        rights_request_answer(
            request=obj,
            actor=request.user,
            status=form.cleaned_data["status"],
            outcome=form.cleaned_data["outcome"],
        )

    @admin.action(permissions=["change"], description=_("Keep the account (withdraw the deletion)"))
    def keep_account(self, request: HttpRequest, queryset: QuerySet[RightsRequest]) -> None:
        kept = 0
        for rights_request in queryset.filter(
            kind=RightsRequest.Kind.ERASURE, status=RightsRequest.Status.IN_PROGRESS
        ):
            erasure_cancel(request=rights_request, actor=request.user)
            kept += 1
        self.message_user(
            request,
            ngettext("%(count)d account kept.", "%(count)d accounts kept.", kept) % {"count": kept},
        )


@admin.register(ProcessingLimit)
class ProcessingLimitAdmin(StaffOnly, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["user", "kind", "purpose", "created_at", "lifted_at"]
    list_filter = ["kind", "purpose"]
    actions = ["lift"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # For the action; the form itself is read-only.
        return self._privacy_officer(request) or admin.ModelAdmin.has_change_permission(
            self, request, obj
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["user", "kind", "purpose", "reason", "created_at", "lifted_at"]

    @admin.action(permissions=["change"], description=_("Lift the restriction or objection"))
    def lift(self, request: HttpRequest, queryset: QuerySet[ProcessingLimit]) -> None:
        for limit in queryset.filter(lifted_at=None).select_related("user"):
            processing_limit_set(
                user=limit.user,
                actor=request.user,
                kind=limit.kind,
                purpose=limit.purpose,
                on=False,
            )
        self.message_user(request, _("Lifted."), messages.SUCCESS)


@admin.register(RetentionRun)
class RetentionRunAdmin(StaffOnly, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["started_at", "finished_at", "dry_run", "total"]
    readonly_fields = ["started_at", "finished_at", "dry_run", "results", "total"]


@admin.register(LegalHold)
class LegalHoldAdmin(StaffOnly, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["entry", "object_id", "until", "created_at"]
    list_filter = ["entry"]
    readonly_fields = ["entry", "object_id", "until", "created_at", "request"]


@admin.register(ProcessorNotice)
class ProcessorNoticeAdmin(StaffOnly, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["processor", "status", "attempts", "updated_at", "last_error"]
    list_filter = ["processor", "status"]
    fields = ["request", "processor", "status", "attempts", "last_error", "updated_at"]
    readonly_fields = ["request", "processor", "status", "attempts", "last_error", "updated_at"]
    actions = ["try_again"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # For the action; the form itself is read-only.
        return self._privacy_officer(request) or admin.ModelAdmin.has_change_permission(
            self, request, obj
        )

    @admin.action(permissions=["change"], description=_("Tell the processor again"))
    def try_again(self, request: HttpRequest, queryset: QuerySet[ProcessorNotice]) -> None:
        from lyceum.privacy.tasks import notify_processor

        failed = queryset.filter(status=ProcessorNotice.Status.FAILED)
        for notice in failed:
            notify_processor(notice.pk)
        self.message_user(request, _("Sent again; the status shows the processor's answer."))


class AuditedModelAdmin(admin.ModelAdmin):
    """Back-office pages that edit the school's own records (courses, classes, contracts):
    each save and deletion is audit-logged with the names of the fields changed, in the same
    transaction, as services do."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit_record(
                action=f"staff.{'changed' if change else 'added'}.{obj._meta.model_name}",
                actor=request.user,
                target=obj,
                changed_fields=list(form.changed_data),
            )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            audit_record(
                action=f"staff.deleted.{obj._meta.model_name}", actor=request.user, target=obj
            )
            super().delete_model(request, obj)
