"""The `--avatar ID` option the management commands share: which saved avatar to draw (any owner's: the
command line is the site's operator), or the default look."""

from __future__ import annotations

from django.core.management.base import CommandError

from avatars.models import SavedAvatar
from avatars.presets import preset


def add_avatar_argument(parser) -> None:
    parser.add_argument("--avatar", type=int, help="id of a saved avatar (default: the default look)")


def look_of(avatar_id: int | None) -> dict[str, str]:
    if avatar_id is None:
        return preset(None)
    try:
        return SavedAvatar.objects.get(pk=avatar_id).look
    except SavedAvatar.DoesNotExist:
        raise CommandError(f"no saved avatar with id {avatar_id}") from None
