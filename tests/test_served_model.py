"""The served model: the .tflite `python -m ml.export` writes beside the shipped weights is up to date with
them and computes what the Keras model computes, and the web process never imports TensorFlow."""

import os
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest
from django.conf import settings

from ml.inference import (
    DEFAULT_WEIGHTS,
    EXPORT_COMMAND,
    EmotionClassifier,
    StaleExportError,
    check_export,
    served_model_paths,
)
from ml.preprocess import preprocess_faces
from testkit import images


def test_the_shipped_tflite_is_exported_from_the_shipped_weights():
    try:
        check_export(DEFAULT_WEIGHTS)
    except StaleExportError as error:
        pytest.fail(f"{error} (then commit ml/weights/emotion_cnn.tflite and its .json)")


def real_faces() -> np.ndarray:
    """The astronaut's face framed as FER2013 frames faces, moved, turned, lit and mirrored: 24 crops."""
    gray = cv2.cvtColor(images.astronaut_bgr(), cv2.COLOR_BGR2GRAY)
    rng = np.random.default_rng(0)
    crops = []
    for index in range(24):
        dx, dy = rng.integers(-12, 13, 2)
        angle, zoom, gain = rng.uniform(-15, 15), rng.uniform(0.85, 1.2), rng.uniform(0.6, 1.3)
        centre = (230 + int(dx), 110 + int(dy))  # the middle of the astronaut's face
        turned = cv2.warpAffine(gray, cv2.getRotationMatrix2D(centre, angle, zoom), gray.shape[::-1])
        crop = turned[centre[1] - 75 : centre[1] + 75, centre[0] - 75 : centre[0] + 75]
        crop = np.clip(crop * gain, 0, 255).astype(np.uint8)
        crops.append(crop[:, ::-1] if index % 2 else crop)
    return preprocess_faces(crops)


def test_the_tflite_computes_what_the_keras_model_computes_on_real_faces():
    import keras

    import ml.model  # noqa: F401  (registers the custom layers)

    faces = real_faces()
    model = keras.models.load_model(DEFAULT_WEIGHTS, compile=False)
    expected = (model.predict(faces, verbose=0) + model.predict(faces[:, :, ::-1], verbose=0)) / 2  # + mirror
    served = EmotionClassifier(DEFAULT_WEIGHTS, threads=1).predict(faces)
    np.testing.assert_allclose(served, expected, atol=0.02)  # int8 weight rounding only
    assert (served.argmax(axis=1) == expected.argmax(axis=1)).mean() >= 0.95
    assert (expected.argmax(axis=1) == 3).mean() > 0.5  # really faces: mostly read happy, as she smiles


def test_a_stale_export_is_refused_with_the_command_that_fixes_it(tmp_path):
    weights = tmp_path / "emotion_cnn.keras"
    shutil.copy(DEFAULT_WEIGHTS, weights)
    with pytest.raises(StaleExportError, match=f"`{EXPORT_COMMAND} --weights {weights}`"):
        EmotionClassifier(weights)  # no export yet
    for path in served_model_paths(DEFAULT_WEIGHTS):
        shutil.copy(path, tmp_path)
    assert EmotionClassifier(weights).predict(real_faces()[:2]).shape == (2, 7)
    with open(weights, "ab") as file:
        file.write(b"\0")  # new weights, old export
    with pytest.raises(StaleExportError, match="exported from other weights"):
        EmotionClassifier(weights)


def run_in_a_fresh_process(code: str) -> subprocess.CompletedProcess:
    """Python `code` run in a new process with the site's settings, the model preloaded as the web process does."""
    environment = os.environ | {"DJANGO_SETTINGS_MODULE": "emojify_site.settings", "EMOJIFY_PRELOAD_MODEL": "1"}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )


def test_the_web_process_never_imports_tensorflow():
    """A real request through the site's whole stack (settings, URLs, middleware, the emotion view)."""
    code = """
import io, sys
import django
django.setup()
from django.test import Client
from testkit import images
upload = io.BytesIO(images.encode(images.webcam_frame()))
upload.name = "frame.jpg"
response = Client(HTTP_HOST="127.0.0.1").post("/api/emotion", {"image": upload})
assert response.json()["faces"][0]["emotion"] == "happy", response.content
print(sorted(name for name in sys.modules if name.split(".")[0] in ("tensorflow", "keras", "tf_keras")))
"""
    result = run_in_a_fresh_process(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_the_site_runs_without_the_training_packages():
    """`make run` installs requirements.txt alone: with TensorFlow, Keras and matplotlib (requirements-ml.txt)
    unimportable, the model still loads and the home page, the emotion API and an emoji still answer."""
    code = """
import importlib.abc, io, sys

class NoTrainingPackages(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("tensorflow", "keras", "tf_keras", "matplotlib"):
            raise ImportError(f"{name} is not installed (requirements-ml.txt)")
        return None

sys.meta_path.insert(0, NoTrainingPackages())
import emojify_site.wsgi  # loads and warms the model, as runserver and gunicorn do
from django.test import Client
from testkit import images
client = Client(HTTP_HOST="127.0.0.1")
assert client.get("/").status_code == 200
upload = io.BytesIO(images.encode(images.webcam_frame()))
upload.name = "frame.jpg"
assert client.post("/api/emotion", {"image": upload}).json()["faces"][0]["emotion"] == "happy"
upload.seek(0)
response = client.post("/api/emoji", {"image": upload, "format": "png"})
assert response.status_code == 200 and response["X-Emotion"] == "happy", response.content
print("served")
"""
    result = run_in_a_fresh_process(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("served")
