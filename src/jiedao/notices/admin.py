from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Notice


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    """Read-only: notices are written by the services and the worker, resent from the staff pages."""

    list_display = ["created_at", "application", "recipient", "masked_phone", "event", "status", "attempts"]
    list_filter = ["status", "event", "provider"]
    search_fields = ["application__reference"]
    exclude = ["phone"]
    readonly_fields = ["masked_phone"]

    @admin.display(description=_("手机号码"))
    def masked_phone(self, obj):
        return obj.masked_phone

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
