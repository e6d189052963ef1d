from django.apps import AppConfig


class AvatarsConfig(AppConfig):
    name = "avatars"
    verbose_name = "Avatars"

    def ready(self):
        from . import ownership  # noqa: F401 (connects the log-in signal that moves a visitor's avatars)
