"""The screenings catalogue in the admin: what the issue form offers to pick."""

from django.contrib import admin

from .admin_forms import ScreeningAdminForm
from .models import Screening


@admin.register(Screening)
class ScreeningAdmin(admin.ModelAdmin):
    form = ScreeningAdminForm
    fields = ["film", "screen", "start_time", "start_time_fold", "notes"]
    list_display = ["start_time", "film", "screen", "notes"]
    list_filter = ["screen"]
    search_fields = ["film"]
    date_hierarchy = "start_time"
    ordering = ["-start_time"]
