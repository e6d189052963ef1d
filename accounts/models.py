from django.db import models


class LoginFailure(models.Model):
    """A wrong password (or one being checked), kept for throttle.WINDOW to throttle password guessing on every
    form that checks one (accounts.throttle). `username` is the normalised name.

    In the database rather than a per-process cache, so the limit holds across every web worker.
    """

    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True, db_index=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)


class ResetMailRequest(models.Model):
    """A password-reset mail asked for, kept for throttle.RESET_WINDOW to limit how many are sent."""

    email = models.CharField(max_length=254, db_index=True)
    ip = models.GenericIPAddressField(null=True, db_index=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
