from django.apps import AppConfig


class EmojisConfig(AppConfig):
    """Where recognition (what face is this?) meets avatars (draw it): the pages that make emoji, the JSON API,
    the photo emojifier and the `emojify` and `animate` commands."""

    name = "emojis"
    verbose_name = "Emoji generation"
