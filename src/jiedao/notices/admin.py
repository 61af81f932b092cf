from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from jiedao.lib.admin import ReadOnlyAdmin

from .models import Notice


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    """Read-only: notices are written by the services and the worker, resent from the staff pages."""

    list_display = ["created_at", "application", "recipient", "masked_phone", "event", "status", "attempts"]
    list_filter = ["status", "event", "provider"]
    search_fields = ["application__reference"]
    exclude = ["phone"]
    readonly_fields = ["masked_phone"]

    @admin.display(description=_("手机号码"))
    def masked_phone(self, obj):
        return obj.masked_phone
