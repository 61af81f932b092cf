from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from .models import AuditEntry, Block, Neighbourhood, StaffProfile, Subdistrict


@admin.register(Subdistrict)
class SubdistrictAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "district", "city"]


@admin.register(Neighbourhood)
class NeighbourhoodAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "code", "committee_phone", "active"]


@admin.register(Block)
class BlockAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "code", "active"]


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    can_delete = False
    filter_horizontal = ["neighbourhoods"]


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    """Staff accounts with their role and neighbourhoods on the same page."""

    inlines = [StaffProfileInline]
    list_display = ["username", "first_name", "is_active", "is_staff", "role"]
    list_select_related = ["staff_profile"]

    @admin.display(description=StaffProfile._meta.get_field("role").verbose_name)
    def role(self, user):
        profile = getattr(user, "staff_profile", None)
        return profile.get_role_display() if profile else "—"


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Readable, never editable: the trail is append-only."""

    list_display = ["at", "actor", "ip_address", "action", "reference"]
    list_filter = ["action"]
    search_fields = ["reference", "actor__username"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
