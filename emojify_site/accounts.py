"""Accounts with django.contrib.auth's own views and forms: sign up, log in (throttled), your account page,
your data as JSON, and deleting your account with all its avatars."""
from __future__ import annotations

import json
from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponse
from django.urls import reverse_lazy
from django.utils import timezone
from django.views import View
from django.views.generic import CreateView, FormView, TemplateView

from .models import LoginFailure

LOGIN_FAILURE_LIMIT = 5  # failed log-ins per username, and per address, within the window
LOGIN_FAILURE_WINDOW = timedelta(minutes=15)


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's log-in form, refusing to check more passwords after repeated failures for a name or address."""

    def clean(self):
        username = (self.data.get("username") or "")[:150]
        ip = self.request.META.get("REMOTE_ADDR") if self.request else None
        window_start = timezone.now() - LOGIN_FAILURE_WINDOW
        recent = LoginFailure.objects.filter(at__gte=window_start)
        if (recent.filter(username__iexact=username).count() >= LOGIN_FAILURE_LIMIT
                or (ip and recent.filter(ip=ip).count() >= LOGIN_FAILURE_LIMIT)):
            minutes = int(LOGIN_FAILURE_WINDOW.total_seconds() // 60)
            raise forms.ValidationError(f"Too many failed log-ins. Wait {minutes} minutes and try again.",
                                        code="throttled")
        try:
            return super().clean()
        except forms.ValidationError:
            LoginFailure.objects.filter(at__lt=window_start).delete()  # only the window is ever needed
            LoginFailure.objects.create(username=username, ip=ip)
            raise


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You are logged out. Your avatars are waiting in your account.")
        return response


class SignUpForm(UserCreationForm):
    """Django's sign-up form plus an optional email address: the only way to reset a forgotten password."""

    class Meta(UserCreationForm.Meta):
        fields = ("username", "email")
        labels = {"email": "Email (optional)"}
        help_texts = {"email": "Only to send you a link if you forget your password."}


class SignUpView(CreateView):
    """A new account (Django's password validators apply), signed in at once; what this browser saved moves
    to it (avatars.ownership)."""

    form_class = SignUpForm
    template_name = "registration/form.html"
    success_url = reverse_lazy("avatars:list")
    extra_context = {"title": "Sign up", "button": "Create my account",
                     "intro": "Your avatars stay yours: only you see them once you are signed in."}

    def form_valid(self, form):
        response = super().form_valid(form)
        login(self.request, self.object, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(self.request, f"Welcome, {self.object.get_username()}: your avatars are now yours alone.")
        return response


class AccountView(LoginRequiredMixin, TemplateView):
    template_name = "registration/account.html"


def avatar_data(avatar) -> dict:
    return {"id": avatar.pk, "name": avatar.name, "gender": avatar.gender, "look": avatar.look,
            "created": avatar.created.isoformat(), "updated": avatar.updated.isoformat()}


class DataDownloadView(LoginRequiredMixin, View):
    """GET /accounts/data.json: everything we keep about you, as a download."""

    def get(self, request):
        user = request.user
        data = {"username": user.get_username(), "email": user.email, "date_joined": user.date_joined.isoformat(),
                "avatars": [avatar_data(avatar) for avatar in user.avatars.order_by("pk")]}
        response = HttpResponse(json.dumps(data, indent=2), content_type="application/json")
        response["Content-Disposition"] = 'attachment; filename="emojify-my-data.json"'
        return response


class PasswordConfirmForm(forms.Form):
    password = forms.CharField(label="Your password", strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        if not self.user.check_password(self.cleaned_data["password"]):
            raise forms.ValidationError("That is not your password.")
        return self.cleaned_data["password"]


class DeleteAccountView(LoginRequiredMixin, FormView):
    """Deletes the account and, with it, every avatar it owns (the foreign key cascades)."""

    form_class = PasswordConfirmForm
    template_name = "registration/form.html"
    success_url = reverse_lazy("home")
    extra_context = {"title": "Delete my account", "button": "Delete my account and all my avatars",
                     "danger": True,
                     "intro": "This removes your account and every avatar you saved. It cannot be undone."}

    def get_form_kwargs(self):
        return super().get_form_kwargs() | {"user": self.request.user}

    def form_valid(self, form):
        user = self.request.user
        logout(self.request)
        get_user_model().objects.filter(pk=user.pk).delete()
        messages.info(self.request, "Your account and all its avatars are deleted.")
        return super().form_valid(form)
