import base64
import hashlib
import re

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.http import urlencode

from .presets import BASE_LOOK, GENDERS
from .vocabulary import ATTRIBUTE_ENUMS, SHIRT_TEXT_MAX_LENGTH, choices

ATTRIBUTES = tuple(ATTRIBUTE_ENUMS) + ("shirt_text",)


def share_query(look: dict[str, str], gender: str | None = None) -> str:
    """The query string that recreates a look (share links, previews)."""
    given = {name: value for name, value in look.items() if value}
    return urlencode(({"gender": gender} if gender else {}) | given)


_COPY_SUFFIX = re.compile(r" \(copy(?: (\d+))?\)$")


def attribute_field(name: str, verbose_name: str | None = None) -> models.CharField:
    """A python-avatars argument stored as its enum member name."""
    return models.CharField(verbose_name, max_length=32, choices=choices(name), default=BASE_LOOK[name])


class SavedAvatar(models.Model):
    """An avatar's look: python-avatars argument names as fields, enum member names as values."""

    name = models.CharField(max_length=60)
    # Whose it is (avatars.ownership): a user, or before sign-up the browser session that saved it (a random
    # token kept in its session data). Avatars saved before ownership existed have neither: only the admin
    # sees them.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="avatars"
    )
    visitor = models.CharField(max_length=40, blank=True, db_index=True, editable=False)
    gender = models.CharField(max_length=16, choices=GENDERS)
    skin_color = attribute_field("skin_color")
    top = attribute_field("top", "hair or hat")
    hair_color = attribute_field("hair_color")
    hat_color = attribute_field("hat_color")
    facial_hair = attribute_field("facial_hair")
    facial_hair_color = attribute_field("facial_hair_color")
    accessory = attribute_field("accessory", "glasses and accessories")
    clothing = attribute_field("clothing")
    clothing_color = attribute_field("clothing_color")
    shirt_graphic = attribute_field("shirt_graphic")
    shirt_text = models.CharField(
        "custom shirt text",
        max_length=SHIRT_TEXT_MAX_LENGTH,
        blank=True,
        help_text="Printed on the graphic shirt when its graphic is “Your own text”.",
    )
    nose = attribute_field("nose")
    style = attribute_field("style", "background shape")
    background_color = attribute_field("background_color")
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated"]

    def __str__(self):
        return self.name

    def name_of_copy(self) -> str:
        """The name of a duplicate: "Bob" → "Bob (copy)" → "Bob (copy 2)" → "Bob (copy 3)", never "Bob (copy)
        (copy)"; the name before the suffix is shortened so the whole fits the field."""
        name, suffix = self.name, " (copy)"
        if match := _COPY_SUFFIX.search(name):
            name, suffix = name[: match.start()], f" (copy {int(match[1] or 1) + 1})"
        return name[: self._meta.get_field("name").max_length - len(suffix)] + suffix

    def get_absolute_url(self):
        return reverse("generate", args=[self.pk])

    @property
    def look(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in ATTRIBUTES}

    @property
    def share_query(self) -> str:
        return share_query(self.look, self.gender)

    def short_link(self) -> str:
        """The path of the short share link of this avatar's look as it is now (/s/<code>)."""
        return short_link_of(self.look, self.gender)


# A short link's code: the look's SHA-256 in lower-case base32, cut to CODE_LENGTH characters (50 bits: no one
# finds the links others made by trying codes, and the code says nothing of any avatar or its id). Derived from
# the look, so the same look always gets the same code, on every app node and without a secret that could
# change; a longer cut of the same hash only if two looks ever met on the first CODE_LENGTH characters.
CODE_LENGTH = 10
GENDER_NAMES = {name for name, _ in GENDERS}


def canonical_query(look: dict[str, str], gender: str | None) -> str:
    """The one query string of a whole look (every attribute, in ATTRIBUTES order, and a known gender or none):
    what a short link stores and its code is the hash of."""
    return share_query({name: look.get(name, "") for name in ATTRIBUTES}, gender if gender in GENDER_NAMES else None)


def codes_of(query: str):
    """The codes a look may get, shortest first: its hash's first CODE_LENGTH characters, then one more each."""
    digest = base64.b32encode(hashlib.sha256(query.encode()).digest()).decode().rstrip("=").lower()
    for length in range(CODE_LENGTH, len(digest) + 1):
        yield digest[:length]


class SharedLook(models.Model):
    """A short share link, /s/<code>: a look as it was when shared, kept for anyone to open, forever. It holds
    no owner and no avatar: editing or deleting the avatar later leaves the link showing what was shared."""

    code = models.CharField(max_length=52, unique=True)
    query = models.TextField(help_text="The look as the long share link's query string (canonical_query).")
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.code

    @classmethod
    def of(cls, look: dict[str, str], gender: str | None) -> "SharedLook":
        """The short link of a look, made the first time it is shared (two app nodes making it at once both
        get the one row: get_or_create reads the other's after the unique code refuses its own)."""
        query = canonical_query(look, gender)
        for code in codes_of(query):
            shared, _ = cls.objects.get_or_create(code=code, defaults={"query": query})
            if shared.query == query:
                return shared
        raise RuntimeError("every code of this look is taken by other looks")  # 2⁻²⁵⁶: never

    def get_absolute_url(self):
        return reverse("shared_look", args=[self.code])


def short_link_of(look: dict[str, str], gender: str | None) -> str:
    """The path of a look's short share link (/s/<code>), made if it is new."""
    return SharedLook.of(look, gender).get_absolute_url()
