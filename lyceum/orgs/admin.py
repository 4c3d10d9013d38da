from django.contrib import admin

from lyceum.orgs.models import Contract, Membership, Organisation
from lyceum.privacy.admin import AuditedModelAdmin


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]
    readonly_fields = ["user", "role", "created_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name"]
    readonly_fields = ["name", "slug", "kind"]
    inlines = [MembershipInline]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(Contract)
class ContractAdmin(AuditedModelAdmin):
    list_display = [
        "reference",
        "organisation",
        "starts_on",
        "ends_on",
        "seats",
        "controller",
        "self_service_via_organisation",
    ]
    list_filter = ["controller", "organisation"]
    search_fields = ["reference", "organisation__name"]
    autocomplete_fields = ["organisation"]
