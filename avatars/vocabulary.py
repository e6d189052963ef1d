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
COLOUR_ATTRIBUTES = tuple(
    name
    for name, enums in ATTRIBUTE_ENUMS.items()
    if all(str(value.value).startswith("#") for enum in enums for value in enum)
)
SHIRT_TEXT_MAX_LENGTH = 12  # what fits across the shirt graphic

ENUM_GROUP_LABELS = {pa.HairType: "Hair styles", pa.HatType: "Hats and head wear"}


# Labels people would write, where the member's name is a code name ("MIA_WALLACE", "BEARD_MAGESTIC",
# "BLUE_01"); every other member reads as its name, spaced and capitalised ("SHORT_CURLY" → "Short curly").
LABELS = {
    pa.AvatarStyle.TRANSPARENT: "No background",
    pa.BackgroundColor.DEFAULT: "Blue",
    pa.HairType.NONE: "None (bald)",
    pa.HairType.CAESAR_SIDE_PART: "Caesar with side part",
    pa.HairType.FRIDA: "Frida (flower crown)",
    pa.HairType.FRO_BAND: "Afro with headband",
    pa.HairType.FRO: "Afro",
    pa.HairType.LONG_NOT_TOO_LONG: "Long",
    pa.HairType.MIA_WALLACE: "Bob with bangs",
    pa.HairType.SHORT_WAVED: "Short wavy",
    pa.HairType.SIDES: "Bald on top",
    pa.HairType.STRAIGHT_STRAND: "Straight with a strand",
    pa.HairType.ASTRONAUT: "Astronaut helmet",
    pa.HairType.BRIDE: "Bridal veil",
    pa.HairType.BUZZCUT: "Buzz cut",
    pa.HairType.EVIL_SPIKE: "Spiky",
    pa.HairType.LONG_HAIR_CURLY: "Long curly",
    pa.HairType.LOOSE_HAIR: "Loose",
    pa.HairType.PIXIE: "Pixie cut",
    pa.HairType.TWIST_LONG_HAIR: "Long twists",
    pa.HairType.TWIST_LONG_HAIR_2: "Long twists 2",
    pa.HairType.WICK: "John Wick",
    pa.HatType.CHEF_CAP: "Chef's hat",
    pa.HatType.JEDI: "Jedi hood",
    pa.HairColor.BLONDE_GOLDEN: "Golden blonde",
    pa.HairColor.BROWN_DARK: "Dark brown",
    pa.HairColor.SILVER_GRAY: "Silver grey",
    pa.FacialHairType.BEARD_LIGHT: "Light beard",
    pa.FacialHairType.BEARD_MAGESTIC: "Majestic beard",
    pa.FacialHairType.BEARD_MEDIUM: "Medium beard",
    pa.FacialHairType.MOUSTACHE_FANCY: "Fancy moustache",
    pa.FacialHairType.MOUSTACHE_MAGNUM: "Magnum moustache",
    pa.FacialHairType.WICK_BEARD: "John Wick beard",
    pa.AccessoryType.EYEPATCH: "Eye patch",
    pa.AccessoryType.KURT: "Kurt's white sunglasses",
    pa.AccessoryType.PRESCRIPTION_1: "Glasses",
    pa.AccessoryType.PRESCRIPTION_2: "Glasses 2",
    pa.ClothingType.BLAZER_SHIRT: "Blazer and shirt",
    pa.ClothingType.BLAZER_SWEATER: "Blazer and sweater",
    pa.ClothingType.COLLAR_SWEATER: "Sweater with collar",
    pa.ClothingType.OVERALL: "Overalls",
    pa.ClothingType.SHIRT_CREW_NECK: "Crew-neck T-shirt",
    pa.ClothingType.SHIRT_SCOOP_NECK: "Scoop-neck top",
    pa.ClothingType.SHIRT_V_NECK: "V-neck T-shirt",
    pa.ClothingType.BOND_SUIT: "Tuxedo",
    pa.ClothingType.CHEF: "Chef's jacket",
    pa.ClothingType.GLADIATOR: "Gladiator armour",
    pa.ClothingType.SHIRT_WICK: "John Wick's shirt",
    pa.ClothingColor.BLUE_01: "Light blue",
    pa.ClothingColor.BLUE_02: "Blue",
    pa.ClothingColor.BLUE_03: "Dark blue",
    pa.ClothingColor.GRAY_01: "Light grey",
    pa.ClothingColor.GRAY_02: "Grey",
    pa.ClothingGraphic.CUSTOM_TEXT: "Your own text",
}


def label(member) -> str:
    return LABELS.get(member) or member.name.replace("_", " ").capitalize()


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
