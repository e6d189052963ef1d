"""The seven emotions every part of emojify speaks of, the words sentences use for them, and the check of a
reading of them sent over the API.

In FER2013's label order (index = FER2013's `emotion` value), which the model's outputs follow too. Plain
Python and NumPy: the model (ml), the face reader (recognition), the avatars and the API all read this module,
so none of them needs another for the names.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

EMOTIONS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
# The word a person writes for someone feeling each one ("your avatar feeling scared"): the names above are the
# model's labels, and "feeling surprise / fear / disgust" is no sentence anyone writes.
FEELINGS = {
    "angry": "angry",
    "disgust": "disgusted",
    "fear": "scared",
    "happy": "happy",
    "sad": "sad",
    "surprise": "surprised",
    "neutral": "neutral",
}
# A baseline is the mean of readings whose values are rounded to 4 decimals: it sums to 1 within ~0.001.
BASELINE_SUM_TOLERANCE = 0.05


class BaselineError(ValueError):
    """A reading (a person's resting-face baseline, or one frame of an animation) that is not 7 probabilities;
    the message says what is wrong, for the API's 400 answer."""


def parse_baseline(mapping) -> np.ndarray:
    """A JSON object {emotion: probability} (all 7 emotions, nothing else) → probabilities in EMOTIONS order.

    Messages name the problem without naming the field: the API puts "baseline: " before them."""
    if not isinstance(mapping, Mapping):
        raise BaselineError("must be a JSON object mapping each of the 7 emotions to a probability")
    unknown = sorted(set(mapping) - set(EMOTIONS))
    if unknown:
        raise BaselineError(
            f"unknown emotion(s) {', '.join(map(repr, unknown))}; the emotions are {', '.join(EMOTIONS)}"
        )
    missing = [emotion for emotion in EMOTIONS if emotion not in mapping]
    if missing:
        raise BaselineError(f"missing {', '.join(missing)}: give all 7 emotions")
    values = []
    for emotion in EMOTIONS:
        value = finite_number(mapping[emotion])
        if value is None:
            raise BaselineError(f"the value for {emotion} must be a number, not {mapping[emotion]!r}"[:200])
        if value < 0:
            raise BaselineError(f"the value for {emotion} is negative ({value})")
        values.append(value)
    total = sum(values)
    if abs(total - 1.0) > BASELINE_SUM_TOLERANCE:
        raise BaselineError(f"the probabilities sum to {total:.4g}, not 1")
    return np.array(values, np.float32)


def finite_number(value) -> float | None:
    """A JSON number as a float, or None for anything else: text, true/false, NaN, infinity, or an integer
    too large for a float (JSON allows 400 digits)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None
