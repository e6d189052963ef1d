"""Django's admin with the site's password throttle (accounts.throttle) on its log-in and password change:
`accounts.apps.AdminConfig` makes this the default `admin.site`."""

from django.contrib import admin
from django.urls import reverse

from .forms import ThrottledAdminAuthenticationForm, ThrottledAdminPasswordChangeForm
from .views import PasswordChangeView


class AdminSite(admin.AdminSite):
    login_form = ThrottledAdminAuthenticationForm

    def password_change(self, request, extra_context=None):
        """Django's own, with the throttled form (which needs the request for the address)."""
        defaults = {
            "form_class": ThrottledAdminPasswordChangeForm,
            "success_url": reverse("admin:password_change_done", current_app=self.name),
            "extra_context": {**self.each_context(request), **(extra_context or {})},
        }
        if self.password_change_template is not None:
            defaults["template_name"] = self.password_change_template
        request.current_app = self.name
        return PasswordChangeView.as_view(**defaults)(request)
