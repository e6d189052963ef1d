"""The avatar vocabulary: python-avatars' own enums, keyed by `Avatar` argument name.

Forms, the model, query strings and the JSON API all use these names and the enum *member names*
(`top=SHORT_FLAT`), so one avatar reads the same everywhere.
"""
from __future__ import annotations

import python_avatars as pa

# Attribute name → the enums whose members are allowed (top takes hair styles and hats).
ATTRIBUTE_ENUMS: dict[str, tuple[type, ...]] = {
    "style": (pa.AvatarStyle,),
    "background_color": (pa.BackgroundColor,),
    "skin_color": (pa.SkinColor,),
    "top": (pa.HairType, pa.HatType),
    "hair_color": (pa.HairColor,),
    "hat_color": (pa.ClothingColor,),
    "facial_hair": (pa.FacialHairType,),
    "facial_hair_color": (pa.HairColor,),
    "accessory": (pa.AccessoryType,),
    "clothing": (pa.ClothingType,),
    "clothing_color": (pa.ClothingColor,),
    "shirt_graphic": (pa.ClothingGraphic,),
    "nose": (pa.NoseType,),
}
# The attributes that are colours (their enum values are "#rrggbb"): the form shows them as swatches.
COLOUR_ATTRIBUTES = tuple(name for name, enums in ATTRIBUTE_ENUMS.items()
                          if all(str(value.value).startswith("#") for enum in enums for value in enum))
SHIRT_TEXT_MAX_LENGTH = 12  # what fits across the shirt graphic

ENUM_GROUP_LABELS = {pa.HairType: "Hair styles", pa.HatType: "Hats and head wear"}


def label(member) -> str:
    return member.name.replace("_", " ").capitalize() if member.name != "NONE" else "None"


def member_names(attribute: str) -> list[str]:
    """Every member name an attribute takes, once each (HairType.HAT and HatType.HAT are one "HAT":
    `member` resolves it to the first)."""
    return list(dict.fromkeys(member.name for enum in ATTRIBUTE_ENUMS[attribute] for member in enum))


def choices(attribute: str) -> list:
    """Django choices of member names; grouped when the attribute spans several enums."""
    enums = ATTRIBUTE_ENUMS[attribute]
    if len(enums) == 1:
        return [(member.name, label(member)) for member in enums[0]]
    listed: set[str] = set()  # a name in two enums is listed once, as in member_names
    groups = []
    for enum in enums:
        names = [member.name for member in enum if member.name not in listed]
        listed.update(names)
        groups.append((ENUM_GROUP_LABELS[enum], [(name, label(enum[name])) for name in names]))
    return groups


def member(attribute: str, name: str):
    """The enum member for an attribute's member name (KeyError if unknown)."""
    for enum in ATTRIBUTE_ENUMS[attribute]:
        if name in enum.__members__:
            return enum[name]
    raise KeyError(f"{attribute}: unknown value {name!r}")
