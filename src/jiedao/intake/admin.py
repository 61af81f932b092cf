import re

from django.contrib import admin

from jiedao.core.crypto import last4_hash

from .models import Application, ApplicationEvent, Category, Document, DocumentType, Programme


class CategoryInline(admin.StackedInline):
    model = Category
    extra = 0
    filter_horizontal = ["documents"]


class DocumentTypeInline(admin.TabularInline):
    model = DocumentType
    extra = 0


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "opens_on", "closes_on"]
    filter_horizontal = ["neighbourhoods", "blocks", "common_documents"]
    inlines = [DocumentTypeInline, CategoryInline]


class EventInline(admin.TabularInline):
    model = ApplicationEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "from_status", "to_status", "actor", "channel", "note"]

    def has_add_permission(self, request, obj=None):
        return False


class DocumentInline(admin.TabularInline):
    model = Document
    extra = 0
    can_delete = False
    fields = ["document_type", "page", "width", "height", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    """Read-only here: cases change through the review services, which keep the history."""

    list_display = ["reference", "applicant_name", "masked_id_number", "neighbourhood", "block", "channel", "status", "submitted_at"]
    list_filter = ["programme", "status", "channel", "neighbourhood", "block"]
    search_fields = ["reference", "applicant_name", "name_pinyin", "name_initials", "phone"]
    inlines = [DocumentInline, EventInline]
    exclude = list(Application.ID_NUMBER_FIELDS)

    def get_search_results(self, request, queryset, search_term):
        # The ID number is encrypted: "123X" finds cases by the keyed hash of the last four.
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if re.fullmatch(r"\d{3}[\dXx]", term):
            queryset |= self.model.objects.filter(id_last4_hash=last4_hash(term))
        return queryset, may_have_duplicates

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
