"""Read a face against its owner's resting face: per-person calibration of the emotion probabilities.

People's faces differ at rest (a resting frown, wide eyes, a downturned mouth) more than a 48×48 classifier
can absorb, so a relaxed face often reads as sad or angry and a mild expression as neutral. A webcam session
sees the same person, light and camera for minutes, including a relaxed face: the mean probabilities of a few
relaxed frames — the *baseline*, 7 numbers, never a picture — say how this model reads this person at rest.
Calibration divides every later reading by that resting reading and gives neutral a fixed bonus::

    calibrated = softmax(log p − STRENGTH · log b + NEUTRAL_BONUS · [emotion is neutral])

At STRENGTH 1 a reading equal to the baseline — the person at rest — becomes uniform plus the bonus, so it
reads neutral (with e^1 / (e^1 + 6) = 31% at a bonus of 1) whatever the model made of this face at rest;
anything the face does beyond its resting look stands out. Probabilities are floored at PROBABILITY_FLOOR
first: the API rounds them to 4 decimals, and a baseline's 0.0000 would otherwise boost that emotion
without bound.

The constants were chosen on the portraits-dev photos (validation only), each photo read through the served
pipeline against the mean reading of its person's *other* neutral photos, by `python bench/real_photos.py
portraits-dev --sweep`; the sweep's figures, and how each set of shipped weights reads with them, are in
docs/site.md (How the calibration was chosen) and the model card's `real_photos`.

Pure NumPy: the website (recognition), the generate page's API and the evaluation all call this one module.
"""

from __future__ import annotations

import numpy as np

from emotions import BaselineError

from .labels import EMOTIONS

CALIBRATION_STRENGTH = 1.0
NEUTRAL_BONUS = 1.0
PROBABILITY_FLOOR = 0.01


def baseline_from_readings(readings) -> np.ndarray:
    """The mean of several readings of a relaxed face ((n, 7) probabilities) → a baseline that sums to 1."""
    readings = np.asarray(readings, np.float64)
    if readings.ndim != 2 or not len(readings):
        raise BaselineError("a baseline needs at least one reading")
    mean = readings.mean(axis=0)
    return (mean / mean.sum()).astype(np.float32)


def calibrate(
    probabilities,
    baseline,
    strength: float = CALIBRATION_STRENGTH,
    neutral_bonus: float = NEUTRAL_BONUS,
    floor: float = PROBABILITY_FLOOR,
) -> np.ndarray:
    """Readings ((7,) or (n, 7) probabilities) against a person's baseline (7,) → calibrated probabilities."""
    probabilities = np.asarray(probabilities, np.float64)
    resting = np.log(np.maximum(np.asarray(baseline, np.float64), floor))
    logits = np.log(np.maximum(probabilities, floor)) - strength * resting
    logits[..., EMOTIONS.index("neutral")] += neutral_bonus
    logits -= logits.max(axis=-1, keepdims=True)
    calibrated = np.exp(logits)
    return (calibrated / calibrated.sum(axis=-1, keepdims=True)).astype(np.float32)
