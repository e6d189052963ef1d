""" "Random" on the avatar form: a look that works as an emoji.

The eyes carry most of an expression, so Random never picks an accessory that covers them (it stays free to
choose by hand), and it always dresses the avatar (no clothing stays a choice by hand too). Costume pieces (an
astronaut helmet, a Jedi robe…) come only as their whole costume, so a random outfit never mixes a chef's cap
with a gladiator's armour; a graphic shirt gets a graphic.
"""

from __future__ import annotations

import random

import python_avatars as pa

from .presets import preset
from .vocabulary import member_names

# Glasses the eyes show through (tests/test_avatars.py measures that the other accessories hide them).
EYE_SAFE_ACCESSORIES = (
    pa.AccessoryType.NONE,
    pa.AccessoryType.PRESCRIPTION_1,
    pa.AccessoryType.PRESCRIPTION_2,
    pa.AccessoryType.ROUND,
)
COSTUMES = (
    {"top": pa.HairType.ASTRONAUT, "clothing": pa.ClothingType.ASTRONAUT_SUIT},
    {"top": pa.HatType.JEDI, "clothing": pa.ClothingType.JEDI_ROBE},
    {"top": pa.HatType.CHEF_CAP, "clothing": pa.ClothingType.CHEF},
    {"top": pa.HatType.GLADIATOR_HELMET, "clothing": pa.ClothingType.GLADIATOR},
    {"top": pa.HairType.WICK, "clothing": pa.ClothingType.SHIRT_WICK, "facial_hair": pa.FacialHairType.WICK_BEARD},
    {"top": pa.HairType.EINSTEIN_HAIR, "facial_hair": pa.FacialHairType.EINSTEIN_MOUSTACHE},
)
COSTUME_CHANCE = 0.1
GLASSES_CHANCE = 0.3
# How often each starting gender gets facial hair.
FACIAL_HAIR_CHANCE = {"male": 0.5, "nonbinary": 0.15, "female": 0.0}
COSTUME_ONLY = {(name, member.name) for costume in COSTUMES for name, member in costume.items()}


def everyday(attribute: str) -> list[str]:
    """Member names of an attribute, without costume pieces."""
    return [name for name in member_names(attribute) if (attribute, name) not in COSTUME_ONLY]


def random_look(gender: str | None, seed: int) -> dict[str, str]:
    """A random look for a starting gender, the same for the same seed; background and shirt text kept."""
    rng = random.Random(seed)
    look = preset(gender)
    for attribute in ("skin_color", "hair_color", "hat_color", "clothing_color", "nose"):
        look[attribute] = rng.choice(member_names(attribute))
    look["top"] = rng.choice(everyday("top"))
    look["clothing"] = rng.choice([name for name in everyday("clothing") if name != pa.ClothingType.NONE.name])
    facial_hair_chance = FACIAL_HAIR_CHANCE.get(gender or "", FACIAL_HAIR_CHANCE["nonbinary"])
    look["facial_hair"] = "NONE"
    if rng.random() < facial_hair_chance:
        look["facial_hair"] = rng.choice([name for name in everyday("facial_hair") if name != "NONE"])
    if rng.random() < COSTUME_CHANCE:
        costumes = [costume for costume in COSTUMES if facial_hair_chance or "facial_hair" not in costume]
        look |= {name: member.name for name, member in rng.choice(costumes).items()}
    look["facial_hair_color"] = look["hair_color"]  # beard and hair match
    look["accessory"] = "NONE"
    if rng.random() < GLASSES_CHANCE:
        look["accessory"] = rng.choice(EYE_SAFE_ACCESSORIES[1:]).name
    look["shirt_graphic"] = "NONE"
    if look["clothing"] == pa.ClothingType.GRAPHIC_SHIRT.name:
        look["shirt_graphic"] = rng.choice(
            [name for name in member_names("shirt_graphic") if name not in ("NONE", "CUSTOM_TEXT")]
        )
    return look
