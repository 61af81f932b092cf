from django import forms
from django.contrib import admin

from jiedao.lib.admin import ReadOnlyAdmin

from .models import (
    Application,
    ApplicationEvent,
    Category,
    Document,
    DocumentType,
    Programme,
)
from .service_types import service_types


class CategoryInline(admin.StackedInline):
    model = Category
    extra = 0
    filter_horizontal = ["documents"]


class DocumentTypeInline(admin.TabularInline):
    model = DocumentType
    extra = 0


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "service_type", "opens_on", "closes_on"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "service_type":  # the registered types, by name (the model checks it too)
            choices = [(kind.code, f"{kind.name}（{kind.code}）") for kind in service_types()]
            return forms.ChoiceField(label=db_field.verbose_name, choices=choices, initial=db_field.default)
        return super().formfield_for_dbfield(db_field, request, **kwargs)
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
class ApplicationAdmin(ReadOnlyAdmin):
    """Read-only here: cases change through the services (intake.services, intake.transitions), which keep the history."""

    list_display = ["reference", "applicant_name", "masked_id_number", "neighbourhood", "block", "channel", "status", "submitted_at"]
    list_filter = ["programme", "status", "channel", "neighbourhood", "block"]
    # The admin's search box is a GET: what is typed lands in the address bar and the browser's
    # history. Only the reference is searched here; people are found in the queue, whose search is
    # posted and never put in a URL.
    search_fields = ["reference"]
    inlines = [DocumentInline, EventInline]
    exclude = list(Application.ID_NUMBER_FIELDS)
