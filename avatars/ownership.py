"""Who may see an avatar: its owner (a signed-in user), or — before they have an account — the browser session
that saved it. Every view and API that names an avatar by id looks it up through `avatars_of(request)`, so
another person's id is simply not found (404: it does not reveal that the avatar exists)."""
from __future__ import annotations

import secrets

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from .models import SavedAvatar

# A random token in the session's data, not the session key: login() cycles the key but keeps the data,
# so what a visitor saved can still be found — and handed to their account — when they sign in.
VISITOR_SESSION_KEY = "avatars_visitor"


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


@receiver(user_logged_in, dispatch_uid="avatars.move_visitor_avatars")
def move_visitor_avatars(sender, request, user, **kwargs):
    """On sign-up or log-in, what this browser saved before moves to the account."""
    token = visitor_token(request) if request is not None else None
    if token:
        SavedAvatar.objects.filter(owner=None, visitor=token).update(owner=user, visitor="")
        del request.session[VISITOR_SESSION_KEY]
