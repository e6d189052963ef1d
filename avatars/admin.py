from django.contrib import admin

from .models import SavedAvatar


@admin.register(SavedAvatar)
class SavedAvatarAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "gender", "top", "skin_color", "clothing", "updated")
    list_filter = ("gender", "style", ("owner", admin.EmptyFieldListFilter))
    list_select_related = ("owner",)
    search_fields = ("name", "owner__username", "owner__email")
