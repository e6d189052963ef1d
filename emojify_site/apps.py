from django.apps import AppConfig


class EmojifySiteConfig(AppConfig):
    """The project package doubles as the app that joins recognition and avatars: the generate flow, the
    photo emojifier and its management command."""

    name = "emojify_site"
    verbose_name = "Emoji generation"
