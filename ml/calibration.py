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

The constants were chosen on ../shared/data/portraits-dev (validation only: 410 posed portraits of 9 people)
read through the served pipeline, each photo against the mean reading of its person's *other* neutral
photos (`python bench/real_photos.py portraits-dev --sweep`, 2026-11-24, shipped weights). Accuracy / neutral
recall / lowest class recall: raw 50.2% / 89% / fear 2%; strength 0.75 without bonus 66.3% / 78% / fear 20%;
strength 1 without bonus 63.9% / 33% (a resting face no longer reads neutral); strength 1, bonus 0.5 65.6% /
74% / 29%; **strength 1, bonus 1: 65.9% / 100% / fear 25%**; bonus 1.5: 63.2% / 100% / fear 21%. On the
realfaces photos of people with another neutral photo (different photos, light and cameras, so a harder test
of the idea) the chosen setting reads 56.4% against 51.4% raw, where strength 0.75 without bonus read 50.6%.
Kept for the distilled weights shipped 2026-11-30, which read portraits-dev 48.8% raw → 62.2% (bonus 0.5:
63.2%, four photos more of nine people) and those realfaces photos 53.8% raw → 61.6%.

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
