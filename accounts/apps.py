from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    """Accounts: django.contrib.auth's views in the site's pages, sign-up, your data and deletion, and the one
    throttle every password check goes through."""

    name = "accounts"
    verbose_name = "Accounts"


class AdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin whose `admin.site` throttles password checks (accounts.admin.AdminSite)."""

    default = False  # not the default of this module: AccountsConfig is
    default_site = "accounts.admin.AdminSite"
