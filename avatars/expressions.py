"""The one table from emotion to face: eyes, eyebrows and mouth for each of the seven emotions.

These replace python-avatars' expression helpers (`happy()`, `sad()`…), which drop the avatar's title and
crash on string eyebrows, and have no disgust/fear pair that reads clearly at sticker size.
"""

from __future__ import annotations

from typing import NamedTuple

from python_avatars import EyebrowType, EyeType, MouthType

from emotions import EMOTIONS


class Expression(NamedTuple):
    eyes: EyeType
    eyebrows: EyebrowType
    mouth: MouthType


EXPRESSIONS: dict[str, Expression] = {
    "angry": Expression(EyeType.SQUINT, EyebrowType.ANGRY_NATURAL, MouthType.GRIMACE),
    "disgust": Expression(EyeType.SIDE, EyebrowType.UP_DOWN_NATURAL, MouthType.VOMIT),
    "fear": Expression(EyeType.SURPRISED, EyebrowType.SAD_CONCERNED_NATURAL, MouthType.SCREAM_OPEN),
    "happy": Expression(EyeType.HAPPY, EyebrowType.RAISED_EXCITED_NATURAL, MouthType.SMILE),
    "sad": Expression(EyeType.CRY, EyebrowType.SAD_CONCERNED_NATURAL, MouthType.SAD),
    "surprise": Expression(EyeType.SURPRISED, EyebrowType.RAISED_EXCITED, MouthType.DISBELIEF),
    "neutral": Expression(EyeType.DEFAULT, EyebrowType.DEFAULT_NATURAL, MouthType.SERIOUS),
}
assert tuple(EXPRESSIONS) == EMOTIONS, "one expression per model label, in label order"
