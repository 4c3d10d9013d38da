"""The back office for the school's staff: courses, classes and their lessons."""

from django.contrib import admin

from lyceum.learning.models import (
    Attendance,
    Class,
    ClassInvitation,
    Course,
    Enrolment,
    Lesson,
    Material,
)
from lyceum.privacy.admin import AuditedModelAdmin
from lyceum.privacy.audit import audit_record


class MaterialInline(admin.TabularInline):
    model = Material
    extra = 0
    fields = ["title", "url", "file", "lesson"]
    raw_id_fields = ["lesson"]


@admin.register(Course)
class CourseAdmin(AuditedModelAdmin):
    list_display = ["title", "level", "language", "self_enrolment", "is_published"]
    list_filter = ["level", "language", "self_enrolment", "is_published"]
    search_fields = ["title"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["contracts"]
    inlines = [MaterialInline]


class LessonInline(admin.TabularInline):
    model = Lesson
    extra = 0
    fields = ["starts_at", "duration", "topic", "is_cancelled"]


@admin.register(Class)
class ClassAdmin(AuditedModelAdmin):
    list_display = ["title", "course", "organisation", "capacity", "starts_on", "code"]
    list_filter = ["course", "organisation"]
    search_fields = ["title", "course__title", "code"]
    autocomplete_fields = ["organisation"]
    filter_horizontal = ["instructors"]
    readonly_fields = ["code"]
    inlines = [LessonInline]

    def formfield_for_manytomany(self, db_field, request, **kwargs):  # type: ignore[no-untyped-def]
        if db_field.name == "instructors":
            from lyceum.accounts.models import User

            kwargs["queryset"] = User.objects.filter(is_instructor=True, is_active=True)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class _ReadOnly(admin.ModelAdmin):
    """What people did in classes: staff look it up here; changes go through the pages that
    audit them (class spaces, attendance, seats)."""

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def changelist_view(self, request, extra_context=None):  # type: ignore[no-untyped-def]
        response = super().changelist_view(request, extra_context)
        if response.status_code == 200:  # staff looking at people's records: logged (P15)
            audit_record(
                action=f"staff.listed.{self.model._meta.model_name}",
                actor=request.user,
                changed_fields=["search"] if request.GET.get("q") else [],
            )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):  # type: ignore[no-untyped-def]
        response = super().change_view(request, object_id, form_url, extra_context)
        obj = self.get_object(request, object_id)
        if request.method == "GET" and response.status_code == 200 and obj is not None:
            subject = getattr(obj, "user_id", None) or getattr(obj, "accepted_by_id", None)
            audit_record(action="staff.viewed", actor=request.user, target=obj, subject=subject)
        return response


@admin.register(Enrolment)
class EnrolmentAdmin(_ReadOnly):
    list_display = ["user", "klass", "status", "source", "contract", "joined_at"]
    list_filter = ["status", "source"]
    search_fields = ["user__email", "user__name", "klass__title"]
    list_select_related = ["user", "klass__course", "contract__organisation"]


@admin.register(Attendance)
class AttendanceAdmin(_ReadOnly):
    list_display = ["lesson", "user", "status", "source"]
    list_filter = ["status", "source"]
    search_fields = ["user__email", "lesson__topic"]
    list_select_related = ["lesson__klass__course", "user"]


@admin.register(ClassInvitation)
class ClassInvitationAdmin(_ReadOnly):
    list_display = ["klass", "is_personal", "email", "expires_at", "revoked_at"]
    exclude = ["token"]
