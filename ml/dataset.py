"""Load FER2013-style data from either layout people download.

* Kaggle CSV (plain or ``.gz``): header ``emotion,pixels[,Usage]``, 48×48 = 2304 space-separated grey levels.
* FER+ CSV (Barsoum et al. 2016): the same columns plus ten taggers' votes per face
  (``neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF``). Its faces are labelled by
  the taggers' majority (:func:`majority_labels`), its ``emotion`` column (FER2013's label, −1 where unmatched)
  is kept as ``fer2013_labels``, and training reads the votes themselves (:func:`vote_targets`).
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

# What ml.train and ml.distill read unless told otherwise: FER+ beside the checkout (../shared, see its README).
DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "ferplus" / "fer2013plus.csv.gz"
PIXELS_PER_FACE = FACE_SIZE * FACE_SIZE
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
REQUIRED_COLUMNS = ("emotion", "pixels")


class DatasetError(ValueError):
    """The data file or folder is not in a layout we can read; the message says where and why."""


# FER+'s vote columns, in the file's order. Contempt, unknown and not-a-face (NF) have no avatar expression.
FERPLUS_VOTES = ("neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt", "unknown", "NF")
# Where each of our EMOTIONS sits among FER+'s vote columns.
FERPLUS_COLUMN_OF_EMOTION = [
    FERPLUS_VOTES.index(name) for name in ("anger", "disgust", "fear", "happiness", "sadness", "surprise", "neutral")
]
NO_LABEL = -1


@dataclass
class FaceDataset:
    faces: np.ndarray  # uint8, (n, 48, 48)
    labels: np.ndarray  # int64, (n,), index into EMOTIONS, or NO_LABEL (a FER+ face whose taggers name none)
    usage: np.ndarray  # str, (n,): "Training", "PublicTest", a split folder name, or "" when unknown
    source: str
    votes: np.ndarray | None = None  # int64, (n, 10) in FERPLUS_VOTES order: FER+ files only
    fer2013_labels: np.ndarray | None = None  # FER+ files only: FER2013's own label, or NO_LABEL where unmatched

    def __len__(self) -> int:
        return len(self.labels)

    def take(self, keep: np.ndarray, source: str) -> FaceDataset:
        pick = lambda column: None if column is None else column[keep]
        return FaceDataset(
            self.faces[keep], self.labels[keep], self.usage[keep], source, pick(self.votes), pick(self.fer2013_labels)
        )

    def subset(self, usage: str) -> FaceDataset:
        return self.take(self.usage == usage, f"{self.source} [{usage}]")

    def labelled(self) -> FaceDataset:
        """The rows that have a label: FER+ leaves out ties and contempt, unknown or not-a-face majorities."""
        return self.take(self.labels != NO_LABEL, self.source)


def training_rows(
    dataset: FaceDataset,
    usage: str,
    targets: str = "probability",
    *,
    min_votes: int = 2,
    single_label_share: float = 0.0,
    neutral_vote_weight: float = 1.0,
) -> tuple[FaceDataset, np.ndarray]:
    """The rows of `usage` a net trains on and their (n, 7) targets: one-hot labels, or with FER+ votes
    :func:`vote_targets`, leaving out the faces the votes give no target. ml.train and ml.distill share it, so
    teacher readings line up with the rows they were made for (`single_label_share` changes targets, not rows).

    With FER+ votes, `single_label_share` of each target is taken from FER2013's own label for the face where
    it has one: that single tagger names an expression where the ten often agree on neutral, as posed faces
    are mild ones. `neutral_vote_weight` weighs neutral's vote share against the others' face by face before
    that: at 0.5 a face seven taggers called neutral and three sad becomes 54% neutral, one all ten called
    neutral stays neutral (a prior divided out afterwards moves the resting faces too)."""
    if not 0.0 <= single_label_share <= 1.0:
        raise ValueError(f"single_label_share must be in [0, 1], got {single_label_share}")
    if not 0.0 < neutral_vote_weight < np.inf:
        raise ValueError(f"neutral_vote_weight must be a finite number above 0, got {neutral_vote_weight}")
    rows = dataset.subset(usage)
    if rows.votes is None:
        return rows, np.eye(NUM_CLASSES, dtype=np.float32)[rows.labels]
    rows_targets = vote_targets(rows.votes, targets, min_votes=min_votes)
    has_target = rows_targets.sum(axis=1) > 0
    rows, rows_targets = rows.take(has_target, rows.source), rows_targets[has_target]
    if neutral_vote_weight != 1.0:
        rows_targets[:, EMOTIONS.index("neutral")] *= neutral_vote_weight
        rows_targets /= rows_targets.sum(axis=1, keepdims=True)
    if single_label_share and rows.fer2013_labels is not None:
        labelled = rows.fer2013_labels != NO_LABEL
        single = np.eye(NUM_CLASSES, dtype=np.float32)[rows.fer2013_labels[labelled]]
        rows_targets[labelled] = (1.0 - single_label_share) * rows_targets[labelled] + single_label_share * single
    return rows, rows_targets


def majority_labels(votes: np.ndarray) -> np.ndarray:
    """The answer most taggers gave each face, as an index into EMOTIONS; NO_LABEL where two answers tie for
    the most votes, or the most-voted answer is contempt, unknown or not a face (the site has no such face)."""
    votes = np.asarray(votes)
    top = votes.argmax(axis=1)
    tied = (votes == votes.max(axis=1, keepdims=True)).sum(axis=1) > 1
    emotion_of_column = np.full(len(FERPLUS_VOTES), NO_LABEL)
    emotion_of_column[FERPLUS_COLUMN_OF_EMOTION] = np.arange(NUM_CLASSES)
    return np.where(tied, NO_LABEL, emotion_of_column[top]).astype(np.int64)


def vote_targets(votes: np.ndarray, mode: str = "probability", *, min_votes: int = 2) -> np.ndarray:
    """Training targets over EMOTIONS from FER+ votes, (n, 7) float32; an all-zero row means "do not train".

    * ``probability``: the share of the taggers' emotion votes each expression got (the paper's PLD-like
      target). Answers with fewer than `min_votes` votes are dropped first, as the paper's outlier removal
      drops single votes. Contempt, unknown and NF votes are dropped: the site has no such expression.
    * ``majority``: one-hot of :func:`majority_labels` (the paper's majority baseline).
    Either way faces whose majority is unknown or not a face get no target: they would teach noise.
    """
    votes = np.asarray(votes, np.float32)
    if mode == "majority":
        majority = majority_labels(votes)
        targets = np.zeros((len(votes), NUM_CLASSES), np.float32)
        counted = majority != NO_LABEL
        targets[counted, majority[counted]] = 1.0
        return targets
    if mode != "probability":
        raise ValueError(f"unknown target mode {mode!r} (expected 'probability' or 'majority')")
    unusable = np.isin(votes.argmax(axis=1), [FERPLUS_VOTES.index("unknown"), FERPLUS_VOTES.index("NF")])
    emotion_votes = votes[:, FERPLUS_COLUMN_OF_EMOTION]
    emotion_votes = np.where(emotion_votes >= min_votes, emotion_votes, 0.0)
    totals = emotion_votes.sum(axis=1, keepdims=True)
    targets = np.divide(emotion_votes, totals, out=np.zeros_like(emotion_votes), where=totals > 0)
    targets[unusable] = 0.0
    return targets


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


def _parse_votes(values: list[str], where: str) -> list[int]:
    try:
        counts = [int(value) for value in values]
    except ValueError:
        counts = [-1]
    if min(counts) < 0:
        raise DatasetError(f"{where}: FER+ votes ({', '.join(FERPLUS_VOTES)}) must be counts 0 or more")
    return counts


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
            # A FER+ file: FER2013's label may be −1 (no sure match), and each face has the taggers' votes.
            votes_at = [columns.index(name) for name in FERPLUS_VOTES] if set(FERPLUS_VOTES) <= set(columns) else None
            faces, labels, usage, votes = [], [], [], []
            for row in reader:
                where = f"{path}:{reader.line_num}"
                if not row:
                    continue
                if len(row) != len(columns):
                    raise DatasetError(f"{where}: expected {len(columns)} fields, found {len(row)}")
                unmatched = votes_at is not None and row[emotion_at].strip() == str(NO_LABEL)
                labels.append(NO_LABEL if unmatched else _parse_label(row[emotion_at], where))
                faces.append(_parse_pixels(row[pixels_at], where))
                usage.append(row[usage_at].strip() if usage_at is not None else "")
                if votes_at is not None:
                    votes.append(_parse_votes([row[at] for at in votes_at], where))
    except (UnicodeDecodeError, gzip.BadGzipFile, EOFError, csv.Error) as error:
        raise DatasetError(f"{path}: not a readable CSV file ({error})") from None
    if not faces:
        raise DatasetError(f"{path}: no data rows after the header")
    labels = np.array(labels, np.int64)
    if votes_at is None:
        return FaceDataset(np.stack(faces), labels, np.array(usage), str(path))
    votes = np.array(votes, np.int64)
    return FaceDataset(np.stack(faces), majority_labels(votes), np.array(usage), str(path), votes, labels)


def _emotion_folders(root: Path) -> list[Path]:
    return [child for child in sorted(root.iterdir()) if child.is_dir() and child.name.lower() in EMOTIONS]


def load_image_folder(root: str | Path) -> FaceDataset:
    root = Path(root)
    splits = (
        [(root, "")]
        if _emotion_folders(root)
        else [(child, child.name) for child in sorted(root.iterdir()) if child.is_dir() and _emotion_folders(child)]
    )
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
