"""Community news in the admin: a list to look things up; writing and publishing are the staff
pages' (``services``). Who may publish is the permission 可以发布社区要闻 given to a user here."""

from django.contrib import admin

from .models import Article


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "dated", "office", "status"]
    list_filter = ["status", "office"]
    search_fields = ["title", "office"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
