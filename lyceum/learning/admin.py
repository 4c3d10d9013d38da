"""The back office for the school's staff: courses, classes and their lessons."""

from django.contrib import admin

from lyceum.learning.models import Class, Course, Lesson, Material


class MaterialInline(admin.TabularInline):
    model = Material
    extra = 0
    fields = ["title", "url", "file", "lesson"]
    raw_id_fields = ["lesson"]


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
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
class ClassAdmin(admin.ModelAdmin):
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
