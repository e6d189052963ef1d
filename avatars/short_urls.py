"""Short share links, /s/<code> (docs/api.md, "Short share links"): outside /avatars/ to stay short."""

from django.urls import path

from . import views

urlpatterns = [path("<str:code>", views.SharedLookView.as_view(), name="shared_look")]
