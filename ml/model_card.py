"""The model card: what ml.train writes beside the weights (model_card.json), bench/real_photos.py adds its
real-photo figures to, and the home page shows. One schema for all three, so a figure cannot be written under
one name and read under another.

SCHEMA is JSON Schema (the subset `problems` checks: type, required, properties, additionalProperties,
propertyNames, items, enum, minimum, maximum). Writers check the whole card before writing it; a reader checks the
parts it shows. Figures and dates live in the card itself and in docs/model.md, never here.
"""

from __future__ import annotations

import json
from pathlib import Path

from .labels import EMOTIONS

CARD_NAME = "model_card.json"

FRACTION = {"type": "number", "minimum": 0, "maximum": 1}
COUNT = {"type": "integer", "minimum": 0}
EMOTION_NAME = {"enum": list(EMOTIONS)}
# One set of photos or faces read by one model: how many, how many had a face found, how many read right.
SCORES = {
    "type": "object",
    "required": ["count", "accuracy", "recall"],
    "properties": {
        "count": COUNT,
        "found": FRACTION,
        "accuracy": FRACTION,
        "macro_recall": FRACTION,
        "recall": {"type": "object", "propertyNames": EMOTION_NAME, "additionalProperties": FRACTION},
        "found_by_class": {"type": "object", "propertyNames": EMOTION_NAME, "additionalProperties": FRACTION},
    },
}
SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "emojify model card",
    "type": "object",
    "required": ["name", "architecture", "labels", "data", "training", "history", "evaluation"],
    "properties": {
        "name": {"type": "string"},
        "architecture": {
            "type": "object",
            "required": ["parameters", "input"],
            "properties": {"parameters": COUNT, "input": {"type": "string"}, "layers": {"type": "array"}},
        },
        "labels": {"type": "array", "items": EMOTION_NAME},
        # The data file the run read (its path as given, and its SHA-256) and how many rows of each part.
        "data": {
            "type": "object",
            "required": ["file", "sha256", "train_rows", "val_rows"],
            "properties": {
                "file": {"type": "string"},
                "sha256": {"type": ["string", "null"]},
                "train_rows": COUNT,
                "val_rows": COUNT,
            },
        },
        "training": {"type": "object"},  # ml.train's options as run, and what the run measured of itself
        "history": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "number"}},
        },
        # The held-out faces read as the site serves the model (ml.evaluate's report).
        "evaluation": {
            "type": "object",
            "required": ["usage", "accuracy", "count", "per_class"],
            "properties": {
                "usage": {"type": "string"},
                "served_precision": {"type": "string"},
                "labels": {"enum": ["FER+ majority", "single label"]},
                "accuracy": FRACTION,
                "count": COUNT,
                "per_class": {
                    "type": "object",
                    "propertyNames": EMOTION_NAME,
                    "additionalProperties": {
                        "type": "object",
                        "required": ["recall"],
                        "properties": {
                            "precision": FRACTION,
                            "recall": FRACTION,
                            "f1": FRACTION,
                            "support": COUNT,
                        },
                    },
                },
                "confusion_matrix": {"type": "array", "items": {"type": "array", "items": COUNT}},
            },
        },
        # bench/real_photos.py --write-card: one entry per photo set (its folder's name).
        "real_photos": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["photos", "ours"],
                "properties": {
                    "photos": COUNT,
                    "ours": SCORES,
                    "fer": SCORES,
                    "calibration": {
                        "type": "object",
                        "properties": {"people": COUNT, "ours_raw": SCORES, "ours_calibrated": SCORES, "fer": SCORES},
                    },
                    "measured": {"type": "string"},
                    "command": {"type": "string"},
                },
            },
        },
    },
}
TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "number": (int, float),
    "integer": int,
    "boolean": bool,
    "null": type(None),
}


class ModelCardError(ValueError):
    """A card that does not match SCHEMA (the message lists where), or one that cannot be read."""


def problems(value, schema: dict = SCHEMA, where: str = "card") -> list[str]:
    """Where `value` breaks `schema`, one line each; empty when it matches."""
    expected = schema.get("type")
    if expected is not None:
        names = expected if isinstance(expected, list) else [expected]
        # JSON's true and false are not numbers, whatever Python's bool says.
        if isinstance(value, bool) and "boolean" not in names or not isinstance(value, tuple(TYPES[n] for n in names)):
            return [f"{where}: expected {' or '.join(names)}, not {type(value).__name__}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r} is not one of {', '.join(map(str, schema['enum']))}"]
    found = []
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            found.append(f"{where}: {value} is below {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            found.append(f"{where}: {value} is above {schema['maximum']}")
    if isinstance(value, dict):
        found += [f"{where}: no {key!r}" for key in schema.get("required", []) if key not in value]
        properties = schema.get("properties", {})
        for key, item in value.items():
            if "propertyNames" in schema:
                found += problems(key, schema["propertyNames"], f"{where} key")
            item_schema = properties.get(key, schema.get("additionalProperties", {}))
            found += problems(item, item_schema, f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            found += problems(item, schema["items"], f"{where}[{index}]")
    return found


def card_path(weights) -> Path:
    """The card of a weights file: beside it."""
    return Path(weights).with_name(CARD_NAME)


def read_card(path, parts: tuple[str, ...] | None = None) -> dict:
    """The card at `path`, checked whole or, for a reader that shows only some of it, only `parts` (those present)."""
    try:
        card = json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        raise ModelCardError(f"{path}: {error}") from error
    if parts is None:
        found = problems(card)
    elif not isinstance(card, dict):
        found = problems(card, {"type": "object"})
    else:
        properties = SCHEMA["properties"]
        found = [line for part in parts if part in card for line in problems(card[part], properties[part], part)]
    if found:
        raise ModelCardError(f"{path} does not match the model card schema: " + "; ".join(found))
    return card


def write_card(path, card: dict) -> None:
    """Writes `card` as indented JSON, after checking it against SCHEMA (nothing is written if it does not match)."""
    found = problems(card)
    if found:
        raise ModelCardError("the model card does not match its schema: " + "; ".join(found))
    Path(path).write_text(json.dumps(card, indent=2) + "\n")
