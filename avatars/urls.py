from django.urls import path

from . import views

app_name = "avatars"
urlpatterns = [
    path("", views.AvatarListView.as_view(), name="list"),
    path("new/", views.AvatarCreateView.as_view(), name="create"),
    path("<int:pk>/edit/", views.AvatarUpdateView.as_view(), name="edit"),
    path("<int:pk>/duplicate/", views.AvatarDuplicateView.as_view(), name="duplicate"),
    path("<int:pk>/delete/", views.AvatarDeleteView.as_view(), name="delete"),
    path("<int:pk>/gallery/", views.GalleryView.as_view(), name="gallery"),
    path("<int:pk>/emoji/<str:emotion>.<str:file_format>", views.EmojiDownloadView.as_view(), name="emoji"),
    path("<int:pk>/stickers.zip", views.StickerPackView.as_view(), name="stickers"),
    path("<int:pk>/wave.<str:file_format>", views.WaveAnimationView.as_view(), name="wave"),
    # The same, for a look given in the query string (share links, the live preview).
    path("preview.svg", views.PreviewView.as_view(), name="preview"),
    path("thumbnail/<str:part>.png", views.ThumbnailView.as_view(), name="thumbnail"),
    path("random.json", views.RandomLookView.as_view(), name="random"),
    path("gallery/", views.GalleryView.as_view(), name="shared_gallery"),
    path("emoji/<str:emotion>.<str:file_format>", views.EmojiDownloadView.as_view(), name="shared_emoji"),
    path("stickers.zip", views.StickerPackView.as_view(), name="shared_stickers"),
    path("wave.<str:file_format>", views.WaveAnimationView.as_view(), name="shared_wave"),
]
