from django.db import models


class LoginFailure(models.Model):
    """A failed log-in, kept for LOGIN_FAILURE_WINDOW to throttle password guessing (emojify_site.accounts).

    In the database rather than a per-process cache, so the limit holds across every web worker.
    """

    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True, db_index=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
