"""Admin: the calendar's extra holidays and workdays (years the package does not know yet), and
the phones overdue reminders go to. Ratings are read-only here: they change only through the
services (an appeal, a rectification)."""

from django.contrib import admin

from .models import CalendarDay, OfficePhone, StaffPhone


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "workday", "note")
    list_filter = ("workday",)
    date_hierarchy = "date"


@admin.register(StaffPhone)
class StaffPhoneAdmin(admin.ModelAdmin):
    list_display = ("user", "phone")
    autocomplete_fields = ()


@admin.register(OfficePhone)
class OfficePhoneAdmin(admin.ModelAdmin):
    list_display = ("office", "phone")
