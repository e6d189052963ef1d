from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("emojis.urls")),  # the home page, the generate and emojify pages, /api/…
    path("avatars/", include("avatars.urls")),
    path("s/", include("avatars.short_urls")),  # short share links, /s/<code>
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
]
