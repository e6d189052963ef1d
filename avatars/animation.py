"""Animated emoji: the avatar acting out a sequence of emotion readings, as an animated WebP sticker or a GIF.

A sequence is a list of readings — a time in seconds, the 7 emotion probabilities (a reading that names one
emotion is that emotion with probability 1) and optionally the head's roll in degrees. Each reading holds
until the next; the last holds as long as the usual gap between readings, at most LAST_HOLD_SECONDS. The
animation samples that sequence every FRAME_MS:

- **smoothing**: each step shows the most likely emotion of the readings' time-weighted mean over the
  SMOOTHING_SECONDS around it, so one odd reading does not make the face flicker; a new expression must beat
  the shown one by SWITCH_MARGIN, so two near-equal emotions do not alternate either;
- **cross-fades**: a change of expression is drawn over FADE_STEPS in-between steps (the two faces blended,
  250 ms) instead of a jump; no new change starts during a fade;
- **blinks**: an expression held BLINK_EVERY_MS or longer blinks (eyes closed for BLINK_FRAMES) every
  BLINK_EVERY_MS, and a sequence that never changes expression blinks at least once;
- **breathing**: the avatar sinks by BREATH_DEPTH of the picture and rises again, a whole number of breaths of
  about BREATH_SECONDS each, so the loop has no seam and even a steady face is a living sticker;
- **roll**: the avatar tilts as the head did — the readings' roll smoothed as the probabilities are, drawn
  clamped to ±ROLL_DRAWN_LIMIT degrees, turning in whole degrees (ROLL_STEP) only once the smoothed roll is a
  step away, so noise does not make it shiver;
- **the look's background**: a look with the circle style is drawn on the still PNG's circle, the avatar
  moving inside it and clipped as python-avatars clips it; one with no background stays transparent.

Each frame is drawn from the per-expression renders (avatars.rendering's cached PNGs: no SVG is drawn per
frame), moved as an image: the breath is a whole-pixel shift (exact, and repeated poses cost nothing), the
roll a rotation about the picture's centre. Consecutive identical frames are merged into one longer frame;
more than MAX_FRAMES distinct frames (a head that never stops moving for 10 s) are sampled at a coarser step,
so a request's encoding time and size stay bounded.

WebP follows WhatsApp's animated-sticker rules (512×512, ≤ 500 KB, frames ≥ 8 ms, ≤ 10 s); GIF (for everywhere
else) has no partial transparency, so it is drawn over white. Same input, same bytes.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image

from emotions import EMOTIONS, BaselineError, finite_number, parse_baseline

from . import raster
from .rendering import SVG_SIDE, fit_webp, look_key, render_rgba
from .vocabulary import member

FORMATS = ("webp", "gif")
SIZES = (128, 512)  # inclusive bounds
WHATSAPP_SIZE = 512  # WhatsApp takes animated stickers at exactly 512×512
WEBP_MAX_BYTES = 500 * 1024  # WhatsApp's limit for an animated sticker
MAX_SECONDS = 10.0
MAX_READINGS = 120
# A request's JSON body: 120 readings with all seven probabilities written out long, and a look, fit 4 times over.
MAX_REQUEST_BYTES = 128 * 1024
MIN_READINGS = 2
FRAME_MS = 50  # a multiple of GIF's 10-ms unit, far above WhatsApp's 8-ms minimum
# The last reading holds for the median gap between readings, but no longer: two readings 9 s apart are
# not a recording at one reading every 9 s.
LAST_HOLD_SECONDS = 0.5
SMOOTHING_SECONDS = 0.3
SWITCH_MARGIN = 0.05
FADE_STEPS = 5  # in-between frames of a cross-fade: 250 ms
# An expression stays at least this long once its fade ends: no flicker, and at most ~15 changes in 10 s.
MIN_HOLD_FRAMES = 8  # 400 ms
BLINK_EVERY_MS = 2500
BLINK_FRAMES = 3  # 150 ms with the eyes closed
BREATH_SECONDS = 3.0  # about one breath; an animation holds a whole number of them, at least one
# How far the avatar sinks at the bottom of a breath, as a share of the picture: 6 px at 512, in whole pixels,
# so a breath is 12 one-pixel steps, each frame an exact copy of the render shifted.
BREATH_DEPTH = 0.012
ROLL_LIMIT = 180  # degrees either way a reading's roll may give (the API refuses more)
ROLL_DRAWN_LIMIT = 30  # degrees either way the avatar is drawn tilted: further, it would fall out of its circle
ROLL_STEP = 1  # degrees: the drawn tilt moves in whole steps, once the smoothed roll is a step away
# Distinct frames one animation may have: a frame that moves the whole avatar is ~12 KB of WebP at 512 px, so
# 10 s of a head that never stops turning fits WhatsApp's 500 KB at the first quality tried (466 KB measured).
# Past it the steps are sampled more coarsely.
MAX_FRAMES = 40
SCRIPT_READINGS_PER_SECOND = 10
WEBP_KEY_FRAMES = 10
GIF_COLOURS = 255  # one index is left for Pillow's own use
GIF_PALETTE_SAMPLE, GIF_PALETTE_TILE = 16, 128  # frames, pixels


class SequenceError(ValueError):
    """A sequence that cannot be animated; the message says why, for the API's 400 answer."""


@dataclass(frozen=True)
class Reading:
    t: float  # seconds
    probabilities: np.ndarray  # (7,), EMOTIONS order
    roll: float | None = None  # degrees, clockwise on screen; None: not given


def one_hot(emotion: str) -> np.ndarray:
    probabilities = np.zeros(len(EMOTIONS), np.float32)
    probabilities[EMOTIONS.index(emotion)] = 1
    return probabilities


def seconds(value: float) -> str:
    """A duration for a message: 11.00, or 1e+308 rather than its 309 digits."""
    return f"{value:.2f}" if value < 1e6 else f"{value:.3g}"


def as_json(value, limit: int = 40) -> str:
    """A refused value as the client wrote it (true, not Python's True), a long one cut short."""
    try:
        text = json.dumps(value, allow_nan=True)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_roll(value, where: str) -> float | None:
    """A reading's optional `roll`: degrees within ±ROLL_LIMIT; null counts as not given."""
    if value is None:
        return None
    roll = finite_number(value)
    if roll is None or abs(roll) > ROLL_LIMIT:
        raise SequenceError(
            f"{where}.roll must be a number of degrees from -{ROLL_LIMIT} to {ROLL_LIMIT}, not {as_json(value)}"
        )
    return roll


def parse_reading(item, index: int) -> Reading:
    """One JSON reading: {"t": seconds, "probabilities": {emotion: p, …}} or {"t": seconds, "emotion": name},
    either with an optional "roll": degrees."""
    where = f"frames[{index}]"
    if not isinstance(item, Mapping):
        raise SequenceError(
            f'{where} must be an object {{"t": seconds, "emotion": …}} or {{"t": seconds, "probabilities": {{…}}}}'
        )
    unknown = sorted(set(item) - {"t", "emotion", "probabilities", "roll"})
    if unknown:
        raise SequenceError(f"{where}: unknown key(s) {', '.join(map(repr, unknown))}")
    t = finite_number(item.get("t"))
    if t is None or t < 0:
        raise SequenceError(f"{where}.t must be a number of seconds ≥ 0, not {as_json(item.get('t'))}")
    roll = parse_roll(item.get("roll"), where)
    if ("emotion" in item) == ("probabilities" in item):
        raise SequenceError(f'{where}: give either "emotion" or "probabilities"')
    if "emotion" in item:
        if item["emotion"] not in EMOTIONS:
            raise SequenceError(
                f"{where}.emotion: unknown emotion {item['emotion']!r}; the emotions are {', '.join(EMOTIONS)}"
            )
        return Reading(t, one_hot(item["emotion"]), roll)
    try:
        return Reading(t, parse_baseline(item["probabilities"]), roll)
    except BaselineError as error:
        raise SequenceError(f"{where}.probabilities: {error}") from None


def last_hold(times: Sequence[float]) -> float:
    """How long the last reading is shown: the median gap between readings, at most LAST_HOLD_SECONDS."""
    return min(float(np.median(np.diff(times))), LAST_HOLD_SECONDS)


def sequence_end(times: Sequence[float]) -> float:
    """When the animation ends: the last reading held for last_hold."""
    return times[-1] + last_hold(times)


def check_sequence(readings: Sequence[Reading]) -> list[Reading]:
    if not MIN_READINGS <= len(readings) <= MAX_READINGS:
        raise SequenceError(
            f"{len(readings)} reading{'' if len(readings) == 1 else 's'}: give {MIN_READINGS} to {MAX_READINGS}"
        )
    times = [reading.t for reading in readings]
    for index in range(1, len(times)):
        if times[index] <= times[index - 1]:
            raise SequenceError(f"times must increase: frames[{index}].t = {times[index]} follows {times[index - 1]}")
    span = times[-1] - times[0]
    if span > MAX_SECONDS + 1e-9:
        raise SequenceError(
            f"the readings span {seconds(span)} s (frames[0].t to frames[{len(times) - 1}].t); "
            f"at most {MAX_SECONDS:g} s"
        )
    hold = last_hold(times)
    if span + hold > MAX_SECONDS + 1e-9:
        raise SequenceError(
            f"the sequence lasts {span + hold:.2f} s (the readings span {span:.2f} s and the last is shown "
            f"{hold:.2f} s, the median gap between readings); at most {MAX_SECONDS:g} s"
        )
    return list(readings)


def parse_sequence(items) -> list[Reading]:
    """The JSON `frames` list → checked readings, or SequenceError naming the first problem."""
    if not isinstance(items, list):
        raise SequenceError("must be a list of readings")
    if len(items) > MAX_READINGS:  # before reading each one: 300,000 of them took 1.9 s to refuse
        raise SequenceError(f"{len(items)} readings: give {MIN_READINGS} to {MAX_READINGS}")
    readings = check_sequence([parse_reading(item, index) for index, item in enumerate(items)])
    # Times from the first reading (the animation starts there): a clock of 1e16 s loses the gaps otherwise.
    return [replace(reading, t=reading.t - readings[0].t) for reading in readings]


def scripted_sequence(script: str) -> list[Reading]:
    """`happy:1,surprise:1,happy:1` (emotion:seconds, …) → readings at SCRIPT_READINGS_PER_SECOND."""
    segments = []
    for part in script.split(","):
        emotion, _, seconds = part.strip().partition(":")
        if emotion not in EMOTIONS:
            raise SequenceError(f"unknown emotion {emotion!r} in {part!r}; the emotions are {', '.join(EMOTIONS)}")
        try:
            count = round(float(seconds) * SCRIPT_READINGS_PER_SECOND)
        except (ValueError, OverflowError):  # not a number, nan, inf
            raise SequenceError(f"{part!r}: write emotion:seconds, e.g. happy:1.5") from None
        if count < 1:
            raise SequenceError(f"{part!r}: at least {1 / SCRIPT_READINGS_PER_SECOND:g} s per emotion")
        segments.append((emotion, count))
    total = sum(count for _, count in segments) / SCRIPT_READINGS_PER_SECOND
    if total > MAX_SECONDS:  # before making the readings: "happy:1e9" must not fill the memory
        raise SequenceError(f"the sequence lasts {total:.2f} s; at most {MAX_SECONDS:g} s")
    emotions = [emotion for emotion, count in segments for _ in range(count)]
    return check_sequence(
        [Reading(index / SCRIPT_READINGS_PER_SECOND, one_hot(emotion)) for index, emotion in enumerate(emotions)]
    )


def wave_of_all_seven(seconds_each: float = 0.6) -> list[Reading]:
    """The gallery's sample: every expression in turn."""
    return scripted_sequence(",".join(f"{emotion}:{seconds_each}" for emotion in EMOTIONS))


def wave_animation(look: Mapping[str, str], file_format: str, size: int) -> bytes:
    """The gallery's wave, encoded once per look, format and size: the same input gives the same bytes."""
    return _wave(look_key(look), file_format, size)


@lru_cache(maxsize=64)
def _wave(key: tuple, file_format: str, size: int) -> bytes:
    return animate(dict(key), wave_of_all_seven(), file_format, size)


@dataclass(frozen=True)
class Frame:
    """What one output frame shows: `start` blended towards `end` by `weight` (0: start alone), or `start`
    blinking; moved down `sink` pixels (breathing) and turned `roll` degrees clockwise."""

    start: str
    end: str
    weight: float
    duration_ms: int
    blink: bool = False
    sink: int = 0
    roll: int = 0

    @property
    def face(self) -> tuple:
        if self.weight == 0:
            return (self.start, self.start, 0.0, self.blink)
        return (self.start, self.end, self.weight, False)

    @property
    def pose(self) -> tuple:
        """Everything drawn: frames of one pose are one picture."""
        return (*self.face, self.sink, self.roll)


def window_weights(readings: Sequence[Reading], frame_times: np.ndarray) -> np.ndarray:
    """(frames, readings): how much of the SMOOTHING_SECONDS around each frame time each reading holds, each
    row summing to 1. Times a row by the readings' values: their time-weighted mean there."""
    times = np.array([reading.t for reading in readings])
    starts, ends = times, np.append(times[1:], sequence_end(times))
    low = np.maximum(frame_times - SMOOTHING_SECONDS / 2, times[0])[:, None]
    high = np.minimum(frame_times + SMOOTHING_SECONDS / 2, ends[-1])[:, None]
    overlap = np.clip(np.minimum(ends, high) - np.maximum(starts, low), 0, None)
    return overlap / overlap.sum(axis=1, keepdims=True)


def smoothed(readings: Sequence[Reading], frame_times: np.ndarray) -> np.ndarray:
    """(frames, 7): the time-weighted mean of the readings' probabilities over SMOOTHING_SECONDS around each
    frame time."""
    return window_weights(readings, frame_times) @ np.stack([reading.probabilities for reading in readings])


def given_rolls(readings: Sequence[Reading]) -> np.ndarray:
    """Each reading's roll; one without takes the roll of the one before it (upright before any)."""
    rolls, last = [], 0.0
    for reading in readings:
        last = last if reading.roll is None else reading.roll
        rolls.append(last)
    return np.array(rolls)


def drawn_rolls(readings: Sequence[Reading], frame_times: np.ndarray) -> list[int]:
    """The tilt each frame is drawn at: the readings' rolls smoothed as the probabilities are, clamped to
    ±ROLL_DRAWN_LIMIT, in whole ROLL_STEPs that move only once the smoothed roll is a step away (a roll
    hovering at 10.5° does not flicker between 10 and 11)."""
    if all(reading.roll is None for reading in readings):
        return [0] * len(frame_times)
    rolls = np.clip(window_weights(readings, frame_times) @ given_rolls(readings), -ROLL_DRAWN_LIMIT, ROLL_DRAWN_LIMIT)
    drawn, current = [], None
    for roll in rolls:
        if current is None or abs(roll - current) >= ROLL_STEP:
            current = int(round(roll / ROLL_STEP)) * ROLL_STEP
        drawn.append(current)
    return drawn


def breath_sinks(count: int, size: int) -> list[int]:
    """How many pixels the avatar sinks at each of `count` steps: whole breaths, from rest (0) at the first
    step, so the loop has no seam."""
    depth = round(BREATH_DEPTH * size)
    breaths = max(1, round(count * FRAME_MS / 1000 / BREATH_SECONDS))
    phases = 2 * math.pi * breaths * np.arange(count) / count
    return [int(sink) for sink in np.round(depth * (1 - np.cos(phases)) / 2)]


def expressions(readings: Sequence[Reading], frame_times: np.ndarray) -> list[Frame]:
    """The faces shown, one Frame per merged run of equal steps, with blinks."""
    means = smoothed(readings, frame_times)
    shown = int(np.argmax(means[0]))
    previous, fade_step, held = shown, FADE_STEPS + 1, MIN_HOLD_FRAMES  # no fade in progress
    frames: list[Frame] = []
    for mean in means:
        if fade_step > FADE_STEPS and held >= MIN_HOLD_FRAMES:
            best = int(np.argmax(mean))
            if best != shown and mean[best] > mean[shown] + SWITCH_MARGIN:
                previous, shown, fade_step, held = shown, best, 1, 0
        if fade_step <= FADE_STEPS:
            frame = Frame(EMOTIONS[previous], EMOTIONS[shown], fade_step / (FADE_STEPS + 1), FRAME_MS)
            fade_step += 1
        else:
            frame = Frame(EMOTIONS[shown], EMOTIONS[shown], 0.0, FRAME_MS)
            held += 1
        if frames and frames[-1].face == frame.face:
            frames[-1] = replace(frame, duration_ms=frames[-1].duration_ms + FRAME_MS)
        else:
            frames.append(frame)
    return with_blinks(frames)


def steps(readings: Sequence[Reading], size: int = WHATSAPP_SIZE) -> list[Frame]:
    """What the animation shows every FRAME_MS at `size` pixels (the breath is whole pixels)."""
    times = [reading.t for reading in readings]
    count = max(1, round((sequence_end(times) - times[0]) * 1000 / FRAME_MS))
    frame_times = times[0] + (np.arange(count) + 0.5) * FRAME_MS / 1000
    faces = [
        replace(frame, duration_ms=FRAME_MS)
        for frame in expressions(readings, frame_times)
        for _ in range(frame.duration_ms // FRAME_MS)
    ]
    return [
        replace(face, sink=sink, roll=roll)
        for face, sink, roll in zip(faces, breath_sinks(count, size), drawn_rolls(readings, frame_times), strict=True)
    ]


def timeline(readings: Sequence[Reading], size: int = WHATSAPP_SIZE) -> list[Frame]:
    """The frames of the animation: its steps, identical neighbours merged, at most MAX_FRAMES (sampled more
    coarsely where more); durations sum to the sequence's length within half a step."""
    every_step = steps(readings, size)
    stride = 1
    while len(frames := merged(every_step, stride)) > MAX_FRAMES:
        stride += 1
    return frames


def merged(steps: Sequence[Frame], stride: int) -> list[Frame]:
    """Every `stride`-th step, lasting until the next one taken; neighbours of one pose made one frame."""
    frames: list[Frame] = []
    for index in range(0, len(steps), stride):
        duration = min(stride, len(steps) - index) * FRAME_MS
        if frames and frames[-1].pose == steps[index].pose:
            frames[-1] = replace(frames[-1], duration_ms=frames[-1].duration_ms + duration)
        else:
            frames.append(replace(steps[index], duration_ms=duration))
    return frames


def with_blinks(frames: list[Frame]) -> list[Frame]:
    """Each long hold of one expression split around evenly spaced blinks; one blink at least where the
    whole animation is one hold (a hold of a single frame cannot blink)."""
    steady = len(frames) == 1
    blinking = []
    for frame in frames:
        steps = frame.duration_ms // FRAME_MS
        blinks = 0 if frame.weight else max(int(steady), frame.duration_ms // BLINK_EVERY_MS)
        blink_steps = min(BLINK_FRAMES, steps - 1)
        if not blinks or blink_steps < 1:
            blinking.append(frame)
            continue
        open_steps = steps - blinks * blink_steps
        for index in range(blinks + 1):
            # The open-eyed time shared out evenly before, between and after the blinks.
            share = open_steps * (index + 1) // (blinks + 1) - open_steps * index // (blinks + 1)
            if share:
                blinking.append(replace(frame, duration_ms=share * FRAME_MS))
            if index < blinks:
                blinking.append(replace(frame, duration_ms=blink_steps * FRAME_MS, blink=True))
    return blinking


def differing_box(start: np.ndarray, end: np.ndarray) -> tuple[slice, slice] | None:
    """The rectangle where two renders of one avatar differ: the face."""
    rows = np.flatnonzero(np.any(start != end, axis=(1, 2)))
    if not len(rows):
        return None
    columns = np.flatnonzero(np.any(start[rows[0] : rows[-1] + 1] != end[rows[0] : rows[-1] + 1], axis=(0, 2)))
    return np.s_[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1]


def blend(start: np.ndarray, end: np.ndarray, weight: float, box) -> np.ndarray:
    """Two RGBA renders mixed within `box` (premultiplied alpha, so transparent pixels carry no colour into
    the mix); outside it they are the same."""
    mixed = start.copy()
    if box is None:
        return mixed
    a, b = start[box].astype(np.float32), end[box].astype(np.float32)
    alpha_a, alpha_b = a[..., 3:] / 255 * (1 - weight), b[..., 3:] / 255 * weight
    alpha = alpha_a + alpha_b
    colour = (a[..., :3] * alpha_a + b[..., :3] * alpha_b) / np.maximum(alpha, 1e-6)
    mixed[box] = np.clip(np.concatenate([colour, alpha * 255], axis=2) + 0.5, 0, 255).astype(np.uint8)
    return mixed


# python-avatars' circle style (avatar_parts/styles/circle.svg), in its 264×280 drawing that rendering centres
# on a SVG_SIDE square: the background circle, and the shape the avatar is clipped to (everything above the
# circle's centre line, the circle below it: the head may rise out of the circle, the shoulders may not).
CIRCLE_SVG = '<circle cx="132" cy="160" r="120" fill="{colour}"/>'
CIRCLE_CLIP_SVG = (
    '<path fill="white" d="M0,160 L0,0 L264,0 L264,160 L252,160 C252,226.27417 198.27417,280 132,280 '
    'C65.72583,280 12,226.27417 12,160 Z"/>'
)


def _drawn(shape: str, size: int) -> np.ndarray:
    """One python-avatars shape rasterised at `size` as avatars.rendering draws the avatar: RGBA."""
    margin = (SVG_SIDE - 264) // 2
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SVG_SIDE}" height="{SVG_SIDE}" '
        f'viewBox="{-margin} 0 {SVG_SIDE} {SVG_SIDE}">{shape}</svg>'
    )
    return raster.rasterise(svg, size)[..., [2, 1, 0, 3]]


@lru_cache(maxsize=32)
def circle_background(colour: str, size: int) -> tuple[Image.Image, np.ndarray]:
    """The still PNG's background circle in `colour`, and the clip (alpha 0–255) the avatar is drawn through."""
    return Image.fromarray(_drawn(CIRCLE_SVG.format(colour=colour), size), "RGBA"), _drawn(CIRCLE_CLIP_SVG, size)[
        ..., 3
    ].astype(np.uint16)


def moved(avatar: np.ndarray, sink: int, roll: int) -> np.ndarray:
    """The avatar (RGBA, transparent around it) moved down `sink` pixels and turned `roll` degrees clockwise
    about the picture's centre. Below the picture the avatar is continued by its bottom row, so a turned
    body shows no cut edge."""
    size = avatar.shape[0]
    if roll == 0:
        shifted = np.zeros_like(avatar)
        shifted[sink:] = avatar[: size - sink]
        return shifted
    # Premultiplied ("RGBa"), so the transparent pixels around the avatar (black) do not darken its resampled
    # edges.
    premultiplied = np.asarray(Image.fromarray(avatar, "RGBA").convert("RGBa"))
    extended = cv2.copyMakeBorder(premultiplied, 0, size // 2, 0, 0, cv2.BORDER_REPLICATE)
    # cv2 turns counter-clockwise for positive angles, with y down as on screen.
    matrix = cv2.getRotationMatrix2D(((size - 1) / 2, (size - 1) / 2), -roll, 1.0)
    matrix[1, 2] += sink
    turned = cv2.warpAffine(extended, matrix, (size, size), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0, 0))
    return np.asarray(Image.fromarray(turned, "RGBa").convert("RGBA"))


def on_background(avatar: np.ndarray, look: Mapping[str, str]) -> Image.Image:
    """The moved avatar on the look's background: inside the still PNG's circle for the circle style,
    transparent for none."""
    if member("style", look["style"]).name != "CIRCLE":
        return Image.fromarray(avatar, "RGBA")
    size = avatar.shape[0]
    circle, clip = circle_background(member("background_color", look["background_color"]).value, size)
    clipped = avatar.copy()
    clipped[..., 3] = (avatar[..., 3] * clip + 127) // 255
    return Image.alpha_composite(circle, Image.fromarray(clipped, "RGBA"))


def frame_images(look: Mapping[str, str], frames: Sequence[Frame], size: int) -> list[Image.Image]:
    """Each frame drawn: the avatar (transparent) from avatars.rendering's cache, one render per distinct
    emotion and one per blinking one, faces blended for fades, moved and put on the look's background."""
    emotions = sorted({frame.start for frame in frames} | {frame.end for frame in frames})
    renders = {(emotion, False): np.asarray(render_rgba(look, emotion, size)) for emotion in emotions}
    for emotion in sorted({frame.start for frame in frames if frame.blink}):
        renders[emotion, True] = np.asarray(render_rgba(look, emotion, size, blink=True))
    boxes, faces, images = {}, {}, []
    for frame in frames:
        if frame.face not in faces:
            if frame.weight == 0:
                faces[frame.face] = renders[frame.start, frame.blink]
            else:
                pair = (renders[frame.start, False], renders[frame.end, False])
                if (frame.start, frame.end) not in boxes:
                    boxes[frame.start, frame.end] = differing_box(*pair)
                faces[frame.face] = blend(*pair, frame.weight, boxes[frame.start, frame.end])
        images.append(on_background(moved(faces[frame.face], frame.sink, frame.roll), look))
    return images


def encode_webp(images: list, durations: list[int]) -> bytes:
    # The first quality that fits WhatsApp's 500 KB. Method 2, not the still stickers' 4: a breathing avatar
    # changes most of every frame, and for a 3-s sticker's ~25 frames method 4 took about 2.5× as long for
    # files only ~7% smaller. Key frames at most every WEBP_KEY_FRAMES frames: the others are only the
    # rectangle that changed, faster to encode and smaller than Pillow's default of a whole picture every frame.
    def encode(quality: int) -> bytes:
        output = io.BytesIO()
        images[0].save(
            output,
            "WEBP",
            save_all=True,
            append_images=images[1:],
            duration=durations,
            loop=0,
            background=(0, 0, 0, 0),
            quality=quality,
            method=2,
            kmin=WEBP_KEY_FRAMES - 1,
            kmax=WEBP_KEY_FRAMES,
        )
        return output.getvalue()

    return fit_webp(encode, WEBP_MAX_BYTES)


def encode_gif(images: list, durations: list[int]) -> bytes:
    white = Image.new("RGBA", images[0].size, "white")
    flat = [Image.alpha_composite(white, image).convert("RGB") for image in images]
    # One palette for every frame, so colours do not shift between frames: from a sample of the frames
    # side by side, shrunk (nearest neighbour keeps their exact colours). Mapping to it without dithering is
    # fast and keeps flat areas flat.
    sample = flat[:: max(1, len(flat) // GIF_PALETTE_SAMPLE)]
    mosaic = Image.new("RGB", (GIF_PALETTE_TILE * len(sample), GIF_PALETTE_TILE))
    for index, image in enumerate(sample):
        mosaic.paste(image.resize((GIF_PALETTE_TILE,) * 2, Image.NEAREST), (index * GIF_PALETTE_TILE, 0))
    palette = mosaic.quantize(GIF_COLOURS, method=Image.Quantize.MEDIANCUT)
    indexed = [image.quantize(palette=palette, dither=Image.Dither.NONE) for image in flat]
    # Pillow's palette lookup is coarse: it drew the white around the avatar as (254, 253, 252), a grey square on
    # a white page (the gallery's card, the home page). White pixels take the palette's white, where it has one.
    colours = np.asarray(palette.getpalette(), np.uint8).reshape(-1, 3)
    whites = np.flatnonzero((colours == 255).all(axis=1))
    if whites.size:
        for index, image in enumerate(flat):
            pixels = np.array(indexed[index])
            pixels[(np.asarray(image) == 255).all(axis=2)] = whites[0]
            indexed[index] = Image.fromarray(pixels, "P")
            indexed[index].putpalette(palette.getpalette())
    output = io.BytesIO()
    indexed[0].save(output, "GIF", save_all=True, append_images=indexed[1:], duration=durations, loop=0)
    return output.getvalue()


def animate(
    look: Mapping[str, str], readings: Sequence[Reading], file_format: str = "webp", size: int = WHATSAPP_SIZE
) -> bytes:
    """The avatar acting out the readings: animated WebP (WhatsApp sticker) or GIF bytes."""
    if file_format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    if not SIZES[0] <= size <= SIZES[1] or (file_format == "webp" and size != WHATSAPP_SIZE):
        raise ValueError(f"size must be {SIZES[0]}–{SIZES[1]} ({WHATSAPP_SIZE} for WebP)")
    frames = timeline(check_sequence(readings), size)
    images = frame_images(look, frames, size)
    durations = [frame.duration_ms for frame in frames]
    return (encode_webp if file_format == "webp" else encode_gif)(images, durations)
