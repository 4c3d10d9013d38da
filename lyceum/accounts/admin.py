from __future__ import annotations

from typing import Any, cast

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from lyceum.accounts.children import ChildConsentError, child_found_without_consent
from lyceum.accounts.models import ChildConsent, User
from lyceum.accounts.selectors import user_platform_roles
from lyceum.accounts.services import user_profile_update, user_roles_set
from lyceum.core.roles import Role
from lyceum.privacy.audit import audit_record
from lyceum.privacy.models import ProcessingLimit
from lyceum.privacy.services import processing_limit_set

ASSIGNABLE_ROLES = [
    (r.value, r.label) for r in (Role.INSTRUCTOR, Role.STAFF, Role.DPO, Role.SUPERUSER)
]


def _is_dpo(request: HttpRequest) -> bool:
    user: Any = request.user
    return bool(user.is_active and user.is_staff and user.is_dpo)


class UserAdminForm(forms.ModelForm):
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        choices=ASSIGNABLE_ROLES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Every person is a learner. Client administrators are set per organisation."),
    )

    class Meta:
        model = User
        fields = ["name", "display_name", "pronouns", "language", "time_zone"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["roles"].initial = [r.value for r in user_platform_roles(self.instance)]


# allauth's own back-office pages would let staff change addresses and see second-factor
# secrets with no audit event; accounts are managed through the page below and services.
for _model in (EmailAddress, Authenticator, SocialAccount, SocialToken, SocialApp):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    """Staff see accounts through here; every record they open is audit-logged (P15)."""

    form = UserAdminForm
    list_display = ["email", "name", "is_instructor", "is_staff", "is_dpo", "is_active"]
    list_filter = ["is_instructor", "is_staff", "is_dpo", "is_active", "child_consent__status"]
    search_fields = ["email", "name", "display_name"]
    readonly_fields = [
        "public_id",
        "email",
        "is_active",
        "date_joined",
        "last_login",
        "child_consent_record",
    ]
    fields = [
        "public_id",
        "email",
        "name",
        "display_name",
        "pronouns",
        "language",
        "time_zone",
        "roles",
        "is_active",
        "date_joined",
        "last_login",
        "child_consent_record",
    ]

    @admin.display(description=_("Child's consent"))
    def child_consent_record(self, obj: User) -> str:
        """How a child's account came to be usable (P31): changed only by the services."""
        consent = ChildConsent.objects.filter(user=obj).first()
        if consent is None:
            return "—"
        moments = [
            (_("account created"), consent.requested_at),
            (_("erased if there is no consent by"), consent.deadline),
            (_("first confirmation"), consent.first_confirmed_at),
            (_("second confirmation email sent"), consent.second_sent_at),
            (_("consent given"), consent.given_at),
            (_("consent withdrawn"), consent.withdrawn_at),
            (_("collection stopped by the parent"), consent.paused_at),
        ]
        lines = [
            f"{consent.get_status_display()}: {consent.get_method_display() or '—'}",
            *(f"{label}: {when:%Y-%m-%d %H:%M} UTC" for label, when in moments if when),
        ]
        if consent.parent_email:
            lines.append(f"{_('parent')}: {consent.parent_email}")
        if consent.school:
            lines.append(f"{_('school')}: {consent.school}, {consent.school_class}")
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines))

    actions = ["restrict_processing", "child_found_without_consent"]

    @admin.action(
        permissions=["change"], description=_("Restrict processing (at the person's request)")
    )
    def restrict_processing(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        """A restriction asked for by email or phone (P44); the person can lift it, or staff
        from the restrictions list."""
        for user in queryset:
            processing_limit_set(
                user=user, actor=request.user, kind=ProcessingLimit.Kind.RESTRICTION, on=True
            )
        self.message_user(request, _("Processing restricted."))

    @admin.action(permissions=["change"], description=_("Child found without consent: delete now"))
    def child_found_without_consent(
        self, request: HttpRequest, queryset: QuerySet[User]
    ) -> HttpResponse | None:
        """A child's account, or a child's data in an account, without a parent's or the
        school's consent is erased at once (P31), after staff confirm on a second page."""
        actor = cast(User, request.user)
        if request.POST.get("confirmed") != "yes":
            return TemplateResponse(
                request,
                "admin/accounts/user/child_found_confirm.html",
                {
                    **self.admin_site.each_context(request),
                    "title": _("Child found without consent: delete now"),
                    "people": queryset,
                    "opts": self.model._meta,
                    "action": "child_found_without_consent",
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                },
            )
        erased = 0
        for user in queryset:
            try:
                child_found_without_consent(actor=actor, user=user)
            except ChildConsentError as error:
                self.message_user(request, f"{user.email}: {error}", level="error")
            else:
                erased += 1
        if erased:
            self.message_user(
                request,
                ngettext("%(count)d account erased.", "%(count)d accounts erased.", erased)
                % {"count": erased},
            )
        return None

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        if response.status_code == 200:
            audit_record(
                action="staff.listed",
                actor=request.user,
                changed_fields=["search"] if request.GET.get("q") else [],
            )
        return response

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200 and object_id.isdigit():
            audit_record(action="staff.viewed", actor=request.user, subject=int(object_id))
        return response

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):  # type: ignore[no-untyped-def]
        form = super().get_form(request, obj, change, **kwargs)
        if request.user.is_superuser:
            return form

        class InstructorRoleOnlyForm(form):  # type: ignore[valid-type,misc]
            """Only a superuser hands out back-office roles."""

            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                roles = cast(forms.MultipleChoiceField, self.fields["roles"])
                roles.choices = [(Role.INSTRUCTOR.value, Role.INSTRUCTOR.label)]

        return InstructorRoleOnlyForm

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        # The form has already copied its values onto obj; the services compare with the
        # stored row so that the audit log names exactly what changed.
        stored = User.objects.get(pk=obj.pk)
        actor = cast(User, request.user)
        user_profile_update(actor=actor, user=stored, data=form.cleaned_data)
        roles = {Role(r) for r in form.cleaned_data["roles"]}
        if not actor.is_superuser:
            roles = (roles & {Role.INSTRUCTOR}) | (
                user_platform_roles(stored) - {Role.INSTRUCTOR, Role.LEARNER}
            )
        user_roles_set(actor=actor, user=stored, roles=roles)

    # The data protection officer answers rights requests: they see and correct accounts
    # (rectification, restriction) without being given Django permissions one by one.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_dpo(request) or super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_dpo(request) or super().has_view_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_dpo(request) or super().has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Accounts are erased through the privacy engine, never deleted row by row.
        return False
