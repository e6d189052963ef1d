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
    """FER2013's single labels on its JPEG'd copy: no longer a target (ten taggers disagree with 38% of these
    labels), kept as a regression floor under the shipped weights' 61.41% as served (2026-12-07; the FER+
    weights before them 64.50%, the FER2013-trained ones 67.76%)."""
    report = evaluate(EmotionClassifier(DEFAULT_WEIGHTS), load_dataset(SHARED_FER).subset("PublicTest"))
    assert report["count"] == 3589
    assert report["accuracy"] >= 0.605, report["accuracy"]


@pytest.mark.skipif(
    not os.path.exists(SHARED_FERPLUS),
    reason="FER+ is not on this machine (../shared/data/ferplus/fer2013plus.csv.gz); "
    "a user's fresh clone has no dataset",
)
def test_shipped_weights_against_ten_taggers_on_public_test():
    """FER+ PublicTest's majority label (3,370 of its 3,579 faces: ties and contempt, unknown or not-a-face
    majorities left out). The shipped weights read 81.04% as served (2026-12-07); the FER+ fine-tune before
    them 79.79%, the FER2013-trained weights 70.18%."""
    report = evaluate(EmotionClassifier(DEFAULT_WEIGHTS), load_dataset(SHARED_FERPLUS).subset("PublicTest"))
    assert report["count"] == 3370
    assert report["accuracy"] >= 0.80, report["accuracy"]


REALFACES = Path(SHARED_FER).parent.parent / "realfaces"


@pytest.mark.skipif(
    not REALFACES.is_dir(),
    reason="realfaces is not on this machine (../shared/data/realfaces); a user's fresh clone has no dataset",
)
def test_shipped_weights_on_real_web_photos():
    """Every realfaces photo (validation only) through the served pipeline, as bench/real_photos.py reads it.
    The shipped weights read 64.0%, macro recall 53.3% (2026-12-07; the FER+ fine-tune before them 62.1% /
    53.6%, the FER2013-trained weights 51.4% / 49.6%; the fer package 46.3% / 42.3%): the floors guard the gain
    they were shipped for."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    import real_photos

    photos = real_photos.read_photos(REALFACES)
    readings = real_photos.read_ours([real_photos.webcam_frame(image, 288) for *_, image in photos])
    result = real_photos.scores([label for _, label, _, _ in photos], readings)
    assert result["count"] == 2380
    assert result["accuracy"] >= 0.62 and result["macro_recall"] >= 0.52, result
