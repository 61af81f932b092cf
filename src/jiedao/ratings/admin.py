"""Admin: the calendar's extra holidays and workdays (years the package does not know yet), and
the phones overdue reminders go to. Ratings are read-only here: they change only through the
services (an appeal, a rectification)."""

from django.contrib import admin

from .models import CalendarDay, OfficeContact, StaffContact


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "workday", "note")
    list_filter = ("workday",)
    date_hierarchy = "date"


@admin.register(StaffContact)
class StaffContactAdmin(admin.ModelAdmin):
    list_display = ("user", "phone")
    autocomplete_fields = ()


@admin.register(OfficeContact)
class OfficeContactAdmin(admin.ModelAdmin):
    list_display = ("office", "phone")
