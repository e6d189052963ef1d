"""/accounts/…: django.contrib.auth's views in the site's templates, plus sign-up, your data and deletion."""

from django.contrib.auth import views as auth
from django.urls import path, reverse_lazy

from . import views
from .forms import ThrottledAuthenticationForm


def form_page(title: str, button: str, intro: str = "") -> dict:
    return {
        "template_name": "registration/form.html",
        "extra_context": {"title": title, "button": button, "intro": intro},
    }


def message_page(title: str, message: str) -> dict:
    return {"template_name": "registration/message.html", "extra_context": {"title": title, "message": message}}


urlpatterns = [
    path("", views.AccountView.as_view(), name="account"),
    path("signup/", views.SignUpView.as_view(), name="signup"),
    path(
        "login/",
        auth.LoginView.as_view(
            authentication_form=ThrottledAuthenticationForm,
            redirect_authenticated_user=True,
            **form_page("Log in", "Log in"),
        ),
        name="login",
    ),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path(
        "password_change/",
        views.PasswordChangeView.as_view(**form_page("Change your password", "Change password")),
        name="password_change",
    ),
    path(
        "password_change/done/",
        auth.PasswordChangeDoneView.as_view(**message_page("Password changed", "Your new password is in use.")),
        name="password_change_done",
    ),
    path(
        "password_reset/",
        views.PasswordResetView.as_view(
            **form_page(
                "Reset your password",
                "Send me a reset link",
                "Give the email address of your account, and we will send you a link to choose a new password.",
            )
        ),
        name="password_reset",
    ),
    path(
        "password_reset/done/",
        auth.PasswordResetDoneView.as_view(
            **message_page(
                "Check your email", "If an account has that address, a link to reset its password is on its way."
            )
        ),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth.PasswordResetConfirmView.as_view(
            success_url=reverse_lazy("password_reset_complete"), **form_page("Choose a new password", "Set password")
        ),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth.PasswordResetCompleteView.as_view(
            **message_page("Password set", "Your new password is set: log in with it.")
        ),
        name="password_reset_complete",
    ),
    path("data.json", views.DataDownloadView.as_view(), name="account_data"),
    path("delete/", views.DeleteAccountView.as_view(), name="account_delete"),
]
