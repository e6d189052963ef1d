from django.contrib import admin
from django.urls import include, path

from avatars.views import SharedLookView

urlpatterns = [
    path("", include("emojis.urls")),  # the home page, the generate and emojify pages, /api/…
    path("avatars/", include("avatars.urls")),
    path("s/<str:code>", SharedLookView.as_view(), name="shared_look"),  # short share links (docs/api.md)
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
]
