from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class EmojifySiteConfig(AppConfig):
    """The project package doubles as the app that joins recognition and avatars: the generate flow, the
    photo emojifier and its management command."""

    name = "emojify_site"
    verbose_name = "Emoji generation"


class AdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin whose `admin.site` throttles password checks (emojify_site.admin_site)."""

    default = False  # not the default of this module: EmojifySiteConfig is
    default_site = "emojify_site.admin_site.AdminSite"
