"""Who may see an avatar: its owner (a signed-in user), or — before they have an account — the browser session
that saved it. Every view and API that names an avatar by id looks it up through `avatars_of(request)`, so
another person's id is simply not found (404: it does not reveal that the avatar exists)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.dispatch import receiver
from django.utils import timezone

from .models import SavedAvatar

# A random token in the session's data, not the session key: login() cycles the key but keeps the data,
# so what a visitor saved can still be found — and handed to their account — when they sign in.
VISITOR_SESSION_KEY = "avatars_visitor"
# Avatars one account, or one visitor's browser session, may keep: one session saved 300 in 2.4 s (issue 35).
MAX_AVATARS = 100


def visitor_token(request, *, create: bool = False) -> str | None:
    token = request.session.get(VISITOR_SESSION_KEY)
    if token is None and create:
        token = request.session[VISITOR_SESSION_KEY] = secrets.token_urlsafe(24)
    return token


def avatars_of(request):
    """The saved avatars this request may see: the user's, or this browser session's before sign-in."""
    if request.user.is_authenticated:
        return SavedAvatar.objects.filter(owner=request.user)
    token = visitor_token(request)
    return SavedAvatar.objects.filter(owner=None, visitor=token) if token else SavedAvatar.objects.none()


def claim(request, avatar: SavedAvatar) -> None:
    """Make a new avatar belong to whoever is saving it."""
    if request.user.is_authenticated:
        avatar.owner, avatar.visitor = request.user, ""
    else:
        avatar.owner, avatar.visitor = None, visitor_token(request, create=True)


def over_the_cap(request, saved: SavedAvatar) -> bool:
    """After saving `saved`: whether it took its owner over MAX_AVATARS, in which case it is deleted again.
    Saved first and counted after, so saves racing each other cannot all pass a count taken before them."""
    if avatars_of(request).count() <= MAX_AVATARS:
        return False
    saved.delete()
    return True


@receiver(user_logged_in, dispatch_uid="avatars.move_visitor_avatars")
def move_visitor_avatars(sender, request, user, **kwargs):
    """On sign-up or log-in, what this browser saved before moves to the account."""
    token = visitor_token(request) if request is not None else None
    if token:
        SavedAvatar.objects.filter(owner=None, visitor=token).update(owner=user, visitor="")
        del request.session[VISITOR_SESSION_KEY]


# An avatar saved while the clean-up runs may belong to a session not written yet (the session is saved as
# the response leaves): avatars touched this recently are never taken for abandoned.
ABANDONED_GRACE = timedelta(hours=1)


class SessionsNotInDatabase(RuntimeError):
    """The session engine keeps sessions where they cannot be listed (signed cookies, a cache alone)."""


def live_visitor_tokens() -> set[str]:
    """The visitor token of every browser session that has not expired."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not issubclass(store, DatabaseSessionStore):
        raise SessionsNotInDatabase(
            f"sessions are kept by {settings.SESSION_ENGINE}, not in the database, so "
            "the visitors whose sessions are still live cannot be listed"
        )
    tokens = set()
    for session in store.get_model_class().objects.filter(expire_date__gt=timezone.now()).iterator():
        token = store().decode(session.session_data).get(VISITOR_SESSION_KEY)
        if token:
            tokens.add(token)
    return tokens


def abandoned_visitor_avatars(batch: int = 500):
    """Avatars saved by visitors whose browser session has ended without signing in: no one can reach them
    any more (not even the visitor: the token lived only in that session), so they are kept for no one.
    Yielded as querysets of at most `batch` visitors each (SQLite caps the values one query may carry)."""
    cutoff = timezone.now() - ABANDONED_GRACE
    old = SavedAvatar.objects.filter(owner=None, updated__lt=cutoff).exclude(visitor="")
    ended = sorted(set(old.values_list("visitor", flat=True).distinct()) - live_visitor_tokens())
    for start in range(0, len(ended), batch):
        yield old.filter(visitor__in=ended[start : start + batch])
