from django.contrib import admin

from .models import Block, Neighbourhood, Subdistrict


@admin.register(Subdistrict)
class SubdistrictAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "district", "city"]


@admin.register(Neighbourhood)
class NeighbourhoodAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "code", "committee_phone", "active"]


@admin.register(Block)
class BlockAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "code", "active"]
