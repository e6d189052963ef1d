"""Load FER2013-style data from either layout people download.

* Kaggle CSV (plain or ``.gz``): header ``emotion,pixels[,Usage]``, 48×48 = 2304 space-separated grey levels.
* Image folders: ``<root>/<emotion name>/*.jpg|png``, optionally one level deeper per split
  (``<root>/train/happy/…``, ``<root>/test/happy/…``; the split folder name becomes the row's usage).

Malformed input raises :class:`DatasetError` naming the file (and line for CSV), never a bare NumPy error.
"""
from __future__ import annotations

import csv
import gzip
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .labels import EMOTIONS, NUM_CLASSES
from .preprocess import FACE_SIZE, preprocess_face

PIXELS_PER_FACE = FACE_SIZE * FACE_SIZE
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
REQUIRED_COLUMNS = ("emotion", "pixels")


class DatasetError(ValueError):
    """The data file or folder is not in a layout we can read; the message says where and why."""


@dataclass
class FaceDataset:
    faces: np.ndarray  # uint8, (n, 48, 48)
    labels: np.ndarray  # int64, (n,), index into EMOTIONS
    usage: np.ndarray  # str, (n,): "Training", "PublicTest", a split folder name, or "" when unknown
    source: str

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, usage: str) -> "FaceDataset":
        keep = self.usage == usage
        return FaceDataset(self.faces[keep], self.labels[keep], self.usage[keep], f"{self.source} [{usage}]")


def load_dataset(path: str | Path) -> FaceDataset:
    """Read a CSV file (plain or gzip) or an image-folder tree."""
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"{path}: no such file or folder")
    if path.is_dir():
        return load_image_folder(path)
    return load_csv(path)


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _open_text(path: Path):
    with open(path, "rb") as probe:
        is_gzip = probe.read(2) == b"\x1f\x8b"
    if is_gzip:
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def _parse_label(value: str, where: str) -> int:
    try:
        label = int(value)
    except ValueError:
        label = -1
    if not 0 <= label < NUM_CLASSES:
        raise DatasetError(f"{where}: unknown emotion label {value!r} (expected 0–{NUM_CLASSES - 1})")
    return label


def _parse_pixels(value: str, where: str) -> np.ndarray:
    parts = value.split()
    if len(parts) != PIXELS_PER_FACE:
        raise DatasetError(f"{where}: expected {PIXELS_PER_FACE} pixel values (48×48), found {len(parts)}")
    try:
        pixels = np.array(parts, dtype=np.int32)
    except ValueError:
        raise DatasetError(f"{where}: pixel values must be integers 0–255") from None
    if pixels.min() < 0 or pixels.max() > 255:
        raise DatasetError(f"{where}: pixel values must be integers 0–255")
    return pixels.astype(np.uint8).reshape(FACE_SIZE, FACE_SIZE)


def load_csv(path: str | Path) -> FaceDataset:
    path = Path(path)
    try:
        with _open_text(path) as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise DatasetError(f"{path}: empty file (expected a header 'emotion,pixels,Usage')")
            columns = [name.strip() for name in header]
            missing = [name for name in REQUIRED_COLUMNS if name not in columns]
            if missing:
                raise DatasetError(f"{path}:1: missing column(s) {', '.join(missing)}; header is {header!r}")
            emotion_at, pixels_at = columns.index("emotion"), columns.index("pixels")
            usage_at = columns.index("Usage") if "Usage" in columns else None
            faces, labels, usage = [], [], []
            for row in reader:
                where = f"{path}:{reader.line_num}"
                if not row:
                    continue
                if len(row) != len(columns):
                    raise DatasetError(f"{where}: expected {len(columns)} fields, found {len(row)}")
                labels.append(_parse_label(row[emotion_at], where))
                faces.append(_parse_pixels(row[pixels_at], where))
                usage.append(row[usage_at].strip() if usage_at is not None else "")
    except (UnicodeDecodeError, gzip.BadGzipFile, EOFError, csv.Error) as error:
        raise DatasetError(f"{path}: not a readable CSV file ({error})") from None
    if not faces:
        raise DatasetError(f"{path}: no data rows after the header")
    return FaceDataset(np.stack(faces), np.array(labels, np.int64), np.array(usage), str(path))


def _emotion_folders(root: Path) -> list[Path]:
    return [child for child in sorted(root.iterdir()) if child.is_dir() and child.name.lower() in EMOTIONS]


def load_image_folder(root: str | Path) -> FaceDataset:
    root = Path(root)
    splits = [(root, "")] if _emotion_folders(root) else [
        (child, child.name) for child in sorted(root.iterdir()) if child.is_dir() and _emotion_folders(child)
    ]
    if not splits:
        raise DatasetError(f"{root}: no emotion folders (expected <root>/<emotion>/ with one of {', '.join(EMOTIONS)})")
    faces, labels, usage = [], [], []
    for split_root, split_name in splits:
        for folder in _emotion_folders(split_root):
            label = EMOTIONS.index(folder.name.lower())
            for file in sorted(folder.iterdir()):
                if file.suffix.lower() not in IMAGE_SUFFIXES:
                    continue
                image = cv2.imread(str(file), cv2.IMREAD_UNCHANGED)
                if image is None:
                    raise DatasetError(f"{file}: not a readable image")
                faces.append(np.round(preprocess_face(image)[:, :, 0] * 255).astype(np.uint8))
                labels.append(label)
                usage.append(split_name)
    if not faces:
        raise DatasetError(f"{root}: the emotion folders hold no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
    return FaceDataset(np.stack(faces), np.array(labels, np.int64), np.array(usage), str(root))
