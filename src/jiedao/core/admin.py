from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiedao.lib.admin import ReadOnlyAdmin

from .audit import client_ip
from .models import (
    AuditEntry,
    Block,
    BlockStreet,
    Neighbourhood,
    StaffProfile,
    Subdistrict,
)
from .staff_auth import staff_device_reset, staff_disable


@admin.register(Subdistrict)
class SubdistrictAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "district", "city"]


@admin.register(Neighbourhood)
class NeighbourhoodAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "code", "committee_phone", "active"]


class BlockStreetInline(admin.TabularInline):
    model = BlockStreet
    extra = 1


@admin.register(Block)
class BlockAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "code", "active"]
    inlines = [BlockStreetInline]


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
    actions = ["disable_accounts", "reset_otp_devices"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # Unticking "active" must also end the sessions the account already has.
        if change and "is_active" in form.changed_data and not obj.is_active:
            ended = staff_disable(user=obj, by=request.user, ip=client_ip(request))
            text = _("已停用 %(username)s，结束了 %(count)d 个登录会话。")
            self.message_user(request, text % {"username": obj.get_username(), "count": ended})

    @admin.action(description=gettext_lazy("停用所选账号并结束其全部登录会话"))
    def disable_accounts(self, request, queryset):
        others = list(queryset.exclude(pk=request.user.pk))
        for user in others:
            staff_disable(user=user, by=request.user, ip=client_ip(request))
        if len(others) < len(queryset):
            self.message_user(request, _("不能停用您自己的账号。"), messages.WARNING)
        if others:
            self.message_user(request, _("所选账号已停用，它们的登录会话已全部结束。"))

    @admin.action(description=gettext_lazy("重置所选账号的两步验证器（下次登录时重新设置）"))
    def reset_otp_devices(self, request, queryset):
        for user in queryset:
            staff_device_reset(user=user, by=request.user, ip=client_ip(request))
        self.message_user(request, _("已重置验证器；这些账号已被退出，下次登录时需要重新扫码设置。"))

    @admin.display(description=StaffProfile._meta.get_field("role").verbose_name)
    def role(self, user):
        profile = getattr(user, "staff_profile", None)
        return profile.get_role_display() if profile else "—"


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Readable, never editable: the trail is append-only."""

    list_display = ["at", "actor", "ip_address", "action_name", "reference"]
    list_filter = ["action"]
    search_fields = ["reference", "actor__username"]
    date_hierarchy = "at"

    @admin.display(description=gettext_lazy("操作"), ordering="action")
    def action_name(self, entry):
        return entry.action_label
