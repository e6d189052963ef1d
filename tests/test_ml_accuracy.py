"""The shipped weights on FER2013's PublicTest rows, with the test-time augmentation the site serves."""

import os
from pathlib import Path

import pytest

from ml.dataset import load_dataset
from ml.evaluate import evaluate
from ml.inference import DEFAULT_WEIGHTS, EmotionClassifier

from .conftest import SHARED_FER, SHARED_FERPLUS


@pytest.mark.skipif(
    not os.path.exists(SHARED_FER),
    reason="FER2013 is not on this machine (../shared/data/fer2013/fer2013.csv.gz); "
    "a user's fresh clone has no dataset",
)
def test_shipped_weights_accuracy_on_public_test():
    """A regression floor just under the shipped model's measured 67.76% as served (int8 weights). The
    issue's targets (68% for this test, 70% for the weights) are not met yet: raise this floor when better
    weights ship."""
    report = evaluate(EmotionClassifier(DEFAULT_WEIGHTS), load_dataset(SHARED_FER).subset("PublicTest"))
    assert report["count"] == 3589
    assert report["accuracy"] >= 0.676, report["accuracy"]


@pytest.mark.skipif(
    not os.path.exists(SHARED_FERPLUS),
    reason="FER+ is not on this machine (../shared/data/ferplus/fer2013plus.csv.gz); "
    "a user's fresh clone has no dataset",
)
def test_shipped_weights_against_ten_taggers_on_public_test():
    """FER+ PublicTest's majority label (3,370 of its 3,579 faces: ties and contempt, unknown or not-a-face
    majorities left out). The shipped, FER2013-trained weights read 70.18% as served (2026-12-04); the FER+
    fine-tunes of docs/model.md read 82–85% but were not shipped, so this floor guards today's weights."""
    report = evaluate(EmotionClassifier(DEFAULT_WEIGHTS), load_dataset(SHARED_FERPLUS).subset("PublicTest"))
    assert report["count"] == 3370
    assert report["accuracy"] >= 0.695, report["accuracy"]


REALFACES = Path(SHARED_FER).parent.parent / "realfaces"


@pytest.mark.skipif(
    not REALFACES.is_dir(),
    reason="realfaces is not on this machine (../shared/data/realfaces); a user's fresh clone has no dataset",
)
def test_shipped_weights_on_real_web_photos():
    """Every realfaces photo (validation only) through the served pipeline, as bench/real_photos.py reads it.
    The distilled weights read 49.5%, macro recall 47.3% (the weights before them 48.1% / 43.5%; the fer
    package 46.3% / 42.2%): the floors guard the gain they were shipped for."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    import real_photos

    photos = real_photos.read_photos(REALFACES)
    readings = real_photos.read_ours([real_photos.webcam_frame(image, 288) for *_, image in photos])
    result = real_photos.scores([label for _, label, _, _ in photos], readings)
    assert result["count"] == 2380
    assert result["accuracy"] >= 0.485 and result["macro_recall"] >= 0.46, result
