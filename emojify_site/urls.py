from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("avatars/", include("avatars.urls")),
    path("generate/<int:pk>/", views.GeneratePageView.as_view(), name="generate"),
    path("emojify/", views.EmojifyPageView.as_view(), name="emojify_photo"),
    path("", include("recognition.urls")),
    path("api/emoji", views.EmojiAPIView.as_view(), name="api_emoji"),
    path("api/animation", views.AnimationAPIView.as_view(), name="api_animation"),
    path("api/emojify", views.EmojifyAPIView.as_view(), name="api_emojify"),
    path("api/csrf", views.CsrfTokenView.as_view(), name="api_csrf"),
    path("accounts/", include("emojify_site.account_urls")),
    path("admin/", admin.site.urls),
]
