"""Tokens in the back office: an administrator makes one, sees its secret once, revokes it."""

from django.contrib import admin, messages
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from jiedao.lib.admin import ReadOnlyAdmin

from .models import ApiToken, WebhookDelivery
from .services import token_issue


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "role", "prefix", "created_at", "last_used_at", "revoked_at", "webhook_url"]
    list_filter = ["role"]
    readonly_fields = ["prefix", "user", "created_by", "created_at", "last_used_at", "webhook_secret"]
    actions = ["revoke"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields += ["name", "role"]
        return fields

    def save_model(self, request, obj, form, change):
        if change:
            if obj.webhook_url and not obj.webhook_secret:
                import secrets

                obj.webhook_secret = secrets.token_hex(32)
            super().save_model(request, obj, form, change)
            return
        raw = token_issue(obj, created_by=request.user)
        messages.warning(
            request,
            _("接口令牌（只显示这一次，请立即复制并安全地交给对方）：%(token)s") % {"token": raw},
        )

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the applications a token submitted stay linked to it

    @admin.action(description=_("停用所选令牌"))
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, ngettext("已停用%(count)d个令牌。", "已停用%(count)d个令牌。", count) % {"count": count})


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    """Read-only: written by the services, sent by the worker."""

    list_display = ["created_at", "token", "application", "status", "state", "attempts", "last_error"]
    list_filter = ["state", "token"]
    search_fields = ["application__reference"]
