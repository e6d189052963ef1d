"""The account forms: Django's own, each checking a password only through the throttle (accounts.throttle)."""

from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm, AdminPasswordChangeForm
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, UserCreationForm

from .throttle import PasswordCheck


class ThrottledLoginMixin:
    """For Django's log-in forms (ours and the admin's): the password is checked only if the throttle allows."""

    def clean(self):
        with PasswordCheck(self.request, self.data.get("username")) as check:
            cleaned = super().clean()
            if self.user_cache is not None:
                check.passed()
        return cleaned


class ThrottledAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    """/accounts/login/."""


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """/admin/login/ (accounts.admin.AdminSite)."""


class ThrottledPasswordChangeMixin:
    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_old_password(self):
        with PasswordCheck(self.request, self.user.get_username()) as check:
            password = super().clean_old_password()
            check.passed()
        return password


class ThrottledPasswordChangeForm(ThrottledPasswordChangeMixin, PasswordChangeForm):
    """/accounts/password_change/."""


class ThrottledAdminPasswordChangeForm(ThrottledPasswordChangeMixin, AdminPasswordChangeForm):
    """/admin/password_change/."""


class SignUpForm(UserCreationForm):
    """Django's sign-up form plus an optional email address: the only way to reset a forgotten password."""

    class Meta(UserCreationForm.Meta):
        fields = ("username", "email")
        labels = {"email": "Email (optional)"}
        help_texts = {"email": "Only to send you a link if you forget your password."}


class PasswordConfirmForm(forms.Form):
    password = forms.CharField(
        label="Your password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def __init__(self, *args, user, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.request = user, request

    def clean_password(self):
        with PasswordCheck(self.request, self.user.get_username()) as check:
            if not self.user.check_password(self.cleaned_data["password"]):
                raise forms.ValidationError("That is not your password.")
            check.passed()
        return self.cleaned_data["password"]
