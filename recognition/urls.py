from django.urls import path

from . import views

app_name = "recognition"
urlpatterns = [
    path("api/emotion", views.EmotionAPIView.as_view(), name="emotion"),
]
