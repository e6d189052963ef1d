"""Gender-based starting points. Gender picks the preset and which fields the form shows first; every
field stays reachable for every gender."""

from __future__ import annotations

GENDERS = [("female", "Female"), ("male", "Male"), ("nonbinary", "Non-binary / other")]

BASE_LOOK = {
    "style": "CIRCLE",
    "background_color": "DEFAULT",
    "skin_color": "LIGHT",
    "top": "SHORT_WAVED",
    "hair_color": "BROWN",
    "hat_color": "HEATHER",
    "facial_hair": "NONE",
    "facial_hair_color": "BROWN",
    "accessory": "NONE",
    "clothing": "SHIRT_CREW_NECK",
    "clothing_color": "BLUE_02",
    "shirt_graphic": "NONE",
    "shirt_text": "",
    "nose": "DEFAULT",
}

PRESETS = {
    "female": BASE_LOOK | {"top": "LONG_NOT_TOO_LONG", "clothing": "SHIRT_SCOOP_NECK", "clothing_color": "PINK"},
    "male": BASE_LOOK | {"top": "SHORT_FLAT", "clothing": "SHIRT_CREW_NECK", "clothing_color": "BLUE_02"},
    "nonbinary": BASE_LOOK | {"top": "SHORT_WAVED", "clothing": "HOODIE", "clothing_color": "PASTEL_GREEN"},
}

_COMMON_FIRST = ["skin_color", "top", "hair_color", "clothing", "clothing_color", "accessory"]
# Fields shown open at first, per gender; the rest sit under "More options" (one click away, never gone).
FIRST_FIELDS = {
    "female": _COMMON_FIRST,
    "male": _COMMON_FIRST + ["facial_hair", "facial_hair_color"],
    "nonbinary": _COMMON_FIRST,
}


def preset(gender: str | None) -> dict[str, str]:
    return dict(PRESETS.get(gender or "", BASE_LOOK))
