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
    labels), kept as a regression floor a little under what the shipped weights read as served. Their figure,
    its date and those of the weights before them are in the model card and docs/model.md, not here, so this
    docstring holds when the weights change."""
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
    majorities left out), the label the shipped weights are chosen on: the floor sits a little under what they
    read as served (the dated figure: the model card and docs/model.md)."""
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
    The floors sit a little under what the shipped weights read, and so guard the gain over the FER2013-trained
    weights and the fer package that they were shipped for (the dated figures of each: docs/model.md, "On real
    photos")."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    import real_photos

    photos = real_photos.read_photos(REALFACES)
    readings = real_photos.read_ours([real_photos.webcam_frame(image, 288) for *_, image in photos])
    result = real_photos.scores([label for _, label, _, _ in photos], readings)
    assert result["count"] == 2380
    assert result["accuracy"] >= 0.62 and result["macro_recall"] >= 0.52, result
