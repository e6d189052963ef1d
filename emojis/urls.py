"""The pages that make emoji and the JSON API (docs/api.md)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("generate/<int:pk>/", views.GeneratePageView.as_view(), name="generate"),
    path("emojify/", views.EmojifyPageView.as_view(), name="emojify_photo"),
    path("api/emotion", views.EmotionAPIView.as_view(), name="api_emotion"),
    path("api/emoji", views.EmojiAPIView.as_view(), name="api_emoji"),
    path("api/animation", views.AnimationAPIView.as_view(), name="api_animation"),
    path("api/emojify", views.EmojifyAPIView.as_view(), name="api_emojify"),
    path("api/csrf", views.CsrfTokenView.as_view(), name="api_csrf"),
]
