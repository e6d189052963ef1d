"""Accounts with django.contrib.auth's own views and forms: sign up, log in, your account page, your data as
JSON, and deleting your account with all its avatars. Every form that checks a password, the admin's too,
goes through the one throttle in accounts.throttle (the forms are in accounts.forms)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponse
from django.urls import reverse_lazy
from django.views import View
from django.views.generic import CreateView, FormView, TemplateView

from .forms import PasswordConfirmForm, SignUpForm, ThrottledPasswordChangeForm
from .throttle import RESET_WINDOW, reset_mail_allowed


class RequestFormMixin:
    """Forms that check the signed-in user's password need the request too: its address is counted."""

    def get_form_kwargs(self):
        return super().get_form_kwargs() | {"request": self.request}


class PasswordChangeView(RequestFormMixin, auth_views.PasswordChangeView):
    form_class = ThrottledPasswordChangeForm


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset form, sending at most throttle.RESETS_PER_EMAIL mails to one address (and
    RESETS_PER_ADDRESS from one client) an hour; the answer is the same whether an account has that email."""

    def form_valid(self, form):
        if not reset_mail_allowed(self.request, form.cleaned_data["email"]):
            minutes = int(RESET_WINDOW.total_seconds() // 60)
            form.add_error(None, f"Too many reset mails asked for. Wait {minutes} minutes and try again.")
            return self.form_invalid(form)
        return super().form_valid(form)


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You are logged out. Your avatars are waiting in your account.")
        return response


class SignUpView(CreateView):
    """A new account (Django's password validators apply), signed in at once; what this browser saved moves
    to it (avatars.ownership)."""

    form_class = SignUpForm
    template_name = "registration/form.html"
    success_url = reverse_lazy("avatars:list")
    extra_context = {
        "title": "Sign up",
        "button": "Create my account",
        "intro": "Your avatars stay yours: only you see them once you are signed in.",
    }

    def form_valid(self, form):
        response = super().form_valid(form)
        login(self.request, self.object, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(self.request, f"Welcome, {self.object.get_username()}: your avatars are now yours alone.")
        return response


class AccountView(LoginRequiredMixin, TemplateView):
    template_name = "registration/account.html"


def avatar_data(avatar) -> dict:
    return {
        "id": avatar.pk,
        "name": avatar.name,
        "gender": avatar.gender,
        "look": avatar.look,
        "created": avatar.created.isoformat(),
        "updated": avatar.updated.isoformat(),
    }


class DataDownloadView(LoginRequiredMixin, View):
    """GET /accounts/data.json: everything we keep about you, as a download."""

    def get(self, request):
        user = request.user
        data = {
            "username": user.get_username(),
            "email": user.email,
            "date_joined": user.date_joined.isoformat(),
            "avatars": [avatar_data(avatar) for avatar in user.avatars.order_by("pk")],
        }
        response = HttpResponse(json.dumps(data, indent=2), content_type="application/json")
        response["Content-Disposition"] = 'attachment; filename="emojify-my-data.json"'
        return response


class DeleteAccountView(LoginRequiredMixin, RequestFormMixin, FormView):
    """Deletes the account and, with it, every avatar it owns (the foreign key cascades)."""

    form_class = PasswordConfirmForm
    template_name = "registration/form.html"
    success_url = reverse_lazy("home")
    extra_context = {
        "title": "Delete my account",
        "button": "Delete my account and all my avatars",
        "danger": True,
        "intro": "This removes your account and every avatar you saved. It cannot be undone.",
    }

    def get_form_kwargs(self):
        return super().get_form_kwargs() | {"user": self.request.user}

    def form_valid(self, form):
        user = self.request.user
        logout(self.request)
        get_user_model().objects.filter(pk=user.pk).delete()
        messages.info(self.request, "Your account and all its avatars are deleted.")
        return super().form_valid(form)
