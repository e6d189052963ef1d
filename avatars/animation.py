"""Animated emoji: the avatar acting out a sequence of emotion readings, as an animated WebP sticker or a GIF.

A sequence is a list of readings — a time in seconds and the 7 emotion probabilities (a reading that names
one emotion is that emotion with probability 1). Each reading holds until the next; the last holds as long
as the usual gap between readings. The animation samples that sequence every FRAME_MS:

- **smoothing**: each frame shows the most likely emotion of the readings' time-weighted mean over the
  SMOOTHING_SECONDS around it, so one odd reading does not make the face flicker; a new expression must beat
  the shown one by SWITCH_MARGIN, so two near-equal emotions do not alternate either;
- **cross-fades**: a change of expression is drawn over FADE_STEPS in-between frames (the two faces blended)
  instead of a jump; no new change starts during a fade;
- **blinks**: an expression held BLINK_EVERY_MS or longer blinks (eyes closed for BLINK_FRAMES) every
  BLINK_EVERY_MS, and a sequence that never changes expression blinks at least once, so a steady face still
  gives a living sticker of several frames — one frame is no animation (WhatsApp refuses such a sticker in
  an animated pack). Where the look hides the eyes (Kurt's white glasses) the blink is a breath instead: the
  avatar drawn a little taller from its shoulders up;
- **looping**, and consecutive identical frames merged into one longer frame: a 3-s animation costs its
  distinct expressions (the cached PNG renders of avatars.rendering) plus a few blended frames.

WebP follows WhatsApp's animated-sticker rules (512×512, transparent, ≤ 500 KB, frames ≥ 8 ms, ≤ 10 s); GIF
(for everywhere else) has no partial transparency, so it is drawn over white. Same input, same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
from PIL import Image

from emotions import EMOTIONS, BaselineError, finite_number, parse_baseline

from .rendering import fit_webp, look_key, render_rgba

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
SMOOTHING_SECONDS = 0.3
SWITCH_MARGIN = 0.05
FADE_STEPS = 3  # in-between frames of a cross-fade: 150 ms
# An expression stays at least this long once its fade ends: no flicker, and at most ~18 changes in 10 s, so
# one request can ask for a few dozen distinct frames, not hundreds (each frame costs encoding time).
MIN_HOLD_FRAMES = 8  # 400 ms
BLINK_EVERY_MS = 2500
BLINK_FRAMES = 3  # 150 ms with the eyes closed
BREATH_STRETCH = 0.015  # how much taller the avatar is drawn for a breath, where a blink would not show
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


def one_hot(emotion: str) -> np.ndarray:
    probabilities = np.zeros(len(EMOTIONS), np.float32)
    probabilities[EMOTIONS.index(emotion)] = 1
    return probabilities


def parse_reading(item, index: int) -> Reading:
    """One JSON reading: {"t": seconds, "probabilities": {emotion: p, …}} or {"t": seconds, "emotion": name}."""
    where = f"frames[{index}]"
    if not isinstance(item, Mapping):
        raise SequenceError(
            f'{where} must be an object {{"t": seconds, "emotion": …}} or {{"t": seconds, "probabilities": {{…}}}}'
        )
    unknown = sorted(set(item) - {"t", "emotion", "probabilities"})
    if unknown:
        raise SequenceError(f"{where}: unknown key(s) {', '.join(map(repr, unknown))}")
    t = finite_number(item.get("t"))
    if t is None or t < 0:
        raise SequenceError(f"{where}.t must be a number of seconds ≥ 0, not {item.get('t')!r}"[:200])
    if ("emotion" in item) == ("probabilities" in item):
        raise SequenceError(f'{where}: give either "emotion" or "probabilities"')
    if "emotion" in item:
        if item["emotion"] not in EMOTIONS:
            raise SequenceError(
                f"{where}.emotion: unknown emotion {item['emotion']!r}; the emotions are {', '.join(EMOTIONS)}"
            )
        return Reading(t, one_hot(item["emotion"]))
    try:
        return Reading(t, parse_baseline(item["probabilities"]))
    except BaselineError as error:
        raise SequenceError(f"{where}.probabilities: {error}") from None


def sequence_end(times: Sequence[float]) -> float:
    """When the animation ends: the last reading held as long as the median gap between readings."""
    return times[-1] + float(np.median(np.diff(times)))


def check_sequence(readings: Sequence[Reading]) -> list[Reading]:
    if not MIN_READINGS <= len(readings) <= MAX_READINGS:
        raise SequenceError(
            f"{len(readings)} reading{'' if len(readings) == 1 else 's'}: give {MIN_READINGS} to {MAX_READINGS}"
        )
    times = [reading.t for reading in readings]
    for index in range(1, len(times)):
        if times[index] <= times[index - 1]:
            raise SequenceError(f"times must increase: frames[{index}].t = {times[index]} follows {times[index - 1]}")
    length = sequence_end(times) - times[0]
    if length > MAX_SECONDS + 1e-9:
        raise SequenceError(
            f"the sequence lasts {length:.2f} s (the last reading held for the median gap "
            f"between readings); at most {MAX_SECONDS:g} s"
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
    return [Reading(reading.t - readings[0].t, reading.probabilities) for reading in readings]


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
    blinking."""

    start: str
    end: str
    weight: float
    duration_ms: int
    blink: bool = False

    @property
    def face(self) -> tuple:
        if self.weight == 0:
            return (self.start, self.start, 0.0, self.blink)
        return (self.start, self.end, self.weight, False)


def smoothed(readings: Sequence[Reading], frame_times: np.ndarray) -> np.ndarray:
    """(frames, 7): the time-weighted mean of the readings over SMOOTHING_SECONDS around each frame time."""
    times = np.array([reading.t for reading in readings])
    starts, ends = times, np.append(times[1:], sequence_end(times))
    low = np.maximum(frame_times - SMOOTHING_SECONDS / 2, times[0])[:, None]
    high = np.minimum(frame_times + SMOOTHING_SECONDS / 2, ends[-1])[:, None]
    overlap = np.clip(np.minimum(ends, high) - np.maximum(starts, low), 0, None)  # (frames, readings)
    probabilities = np.stack([reading.probabilities for reading in readings])
    return overlap @ probabilities / overlap.sum(axis=1, keepdims=True)


def timeline(readings: Sequence[Reading]) -> list[Frame]:
    """The frames of the animation, identical neighbours merged; durations sum to the sequence's length
    within half a frame."""
    times = [reading.t for reading in readings]
    count = max(1, round((sequence_end(times) - times[0]) * 1000 / FRAME_MS))
    frame_times = times[0] + (np.arange(count) + 0.5) * FRAME_MS / 1000
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
            frames[-1] = Frame(frame.start, frame.end, frame.weight, frames[-1].duration_ms + FRAME_MS)
        else:
            frames.append(frame)
    return with_blinks(frames)


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


def breathe_in(picture: np.ndarray) -> np.ndarray:
    """The avatar drawn BREATH_STRETCH taller, its bottom edge kept: shoulders and head rise, a breath in."""
    height, width = picture.shape[:2]
    taller = Image.fromarray(picture, "RGBA").resize((width, round(height * (1 + BREATH_STRETCH))), Image.LANCZOS)
    return np.asarray(taller)[-height:]


def frame_images(look: Mapping[str, str], frames: Sequence[Frame], size: int, *, transparent: bool) -> list:
    # The per-expression renders come from avatars.rendering's cache: one per distinct emotion.
    faces = {
        emotion: np.asarray(render_rgba(look, emotion, size, transparent=transparent))
        for emotion in sorted({frame.start for frame in frames} | {frame.end for frame in frames})
    }
    blinking = {}
    for emotion in sorted({frame.start for frame in frames if frame.blink}):
        closed = np.asarray(render_rgba(look, emotion, size, transparent=transparent, blink=True))
        # Eyes hidden (the blink changes no pixel): the encoders would merge it away, leaving one frame.
        blinking[emotion] = breathe_in(faces[emotion]) if np.array_equal(closed, faces[emotion]) else closed
    boxes = {}
    images = []
    for frame in frames:
        if frame.weight == 0:
            images.append(Image.fromarray((blinking if frame.blink else faces)[frame.start], "RGBA"))
            continue
        pair = (frame.start, frame.end)
        if pair not in boxes:
            boxes[pair] = differing_box(faces[frame.start], faces[frame.end])
        images.append(Image.fromarray(blend(faces[frame.start], faces[frame.end], frame.weight, boxes[pair]), "RGBA"))
    return images


def encode_webp(images: list, durations: list[int]) -> bytes:
    # The first quality that fits WhatsApp's 500 KB; method 4 as for still stickers (method 6: seconds).
    # Key frames at most every WEBP_KEY_FRAMES frames: the others are only the rectangle that changed (the
    # face), 2.5× faster to encode and smaller than Pillow's default of a whole picture every frame.
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
            method=4,
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
    frames = timeline(check_sequence(readings))
    durations = [frame.duration_ms for frame in frames]
    if file_format == "webp":
        return encode_webp(frame_images(look, frames, size, transparent=True), durations)
    return encode_gif(frame_images(look, frames, size, transparent=False), durations)
