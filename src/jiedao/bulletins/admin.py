"""Public notices in the admin: to look, not to write. Every change goes through the staff pages
(``services``): a notice's list is checked at publication, objections are answered with an SMS."""

from django.contrib import admin

from .models import Bulletin, Objection


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Bulletin)
class BulletinAdmin(ReadOnly):
    list_display = ["title", "office", "starts_on", "ends_on", "status"]
    list_filter = ["status", "kind"]
    search_fields = ["title", "office"]


@admin.register(Objection)
class ObjectionAdmin(ReadOnly):
    list_display = ["reference", "bulletin", "masked_phone", "due_on", "status", "outcome"]
    list_filter = ["status", "outcome"]
    exclude = ["phone"]
