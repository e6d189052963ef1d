from django.contrib import admin

from .models import SavedAvatar


@admin.register(SavedAvatar)
class SavedAvatarAdmin(admin.ModelAdmin):
    list_display = ("name", "gender", "top", "skin_color", "clothing", "updated")
    list_filter = ("gender", "style")
    search_fields = ("name",)
