"""Load the shipped (or any) weights once and classify batches of preprocessed faces with the same
test-time augmentation the accuracy figures were measured with.

Served: the TensorFlow Lite file `python -m ml.export` writes beside the .keras weights (batch norms folded,
mirror TTA frozen in, int8 weights with activations quantised per face on the fly), run by the LiteRT runtime
(ai-edge-litert) with XNNPACK. This module imports no TensorFlow for it: web workers stay small and start
fast. One face takes a fifth (two threads) to a quarter (one thread) of the float32 TensorFlow graph's time,
for PublicTest accuracy equal to within a few faces (bench/model_speed.py, python -m ml.evaluate). The float
TensorFlow graphs stay available as its peers (precision="float32" or "mixed_bfloat16"; they import it).
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import numpy as np

from .dataset import file_sha256
from .labels import EMOTIONS
from .preprocess import FACE_SIZE

DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "weights" / "emotion_cnn.keras"
SERVED_PRECISION = "dynamic_int8"
PRECISIONS = (SERVED_PRECISION, "float32", "mixed_bfloat16")  # the last two: Keras dtype policies
EXPORT_COMMAND = "python -m ml.export"


class StaleExportError(ValueError):
    """The served .tflite is missing or was exported from other weights than the .keras file beside it."""


def served_model_paths(weights: str | Path) -> tuple[Path, Path]:
    """The .tflite ml.export writes for a .keras file, and the JSON record of what it was exported from."""
    tflite = Path(weights).with_suffix(".tflite")
    return tflite, tflite.with_name(tflite.name + ".json")


def check_export(weights: str | Path) -> Path:
    """The served .tflite for `weights`, after checking it was exported from exactly those weights."""
    weights = Path(weights)
    tflite, record_path = served_model_paths(weights)
    command = EXPORT_COMMAND + ("" if weights == DEFAULT_WEIGHTS else f" --weights {weights}")
    if not tflite.is_file() or not record_path.is_file():
        raise StaleExportError(f"{tflite} is missing: export the served model with `{command}`")
    record = json.loads(record_path.read_text())
    if record.get("weights_sha256") != file_sha256(weights):
        raise StaleExportError(
            f"{tflite} was exported from other weights than {weights} (changed since): export it again with `{command}`"
        )
    if record.get("tflite_sha256") != file_sha256(tflite):
        raise StaleExportError(f"{tflite} was changed after its export: export it again with `{command}`")
    return tflite


def freeze(predict):
    """The inference graph with the weights folded in as constants (TensorFlow; export and the peers).

    TensorFlow then skips every variable read and fuses each conv with its bias and ReLU: with the batch
    norms folded a one-face call takes about a third less time than the plain Keras model.
    """
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    return convert_variables_to_constants_v2(predict.get_concrete_function())


class _FrozenGraph:
    """A frozen TensorFlow function, called through its flat signature.

    Its __call__ would first try (and fail) to bind a structured signature, which costs ~0.5 ms — a third
    of a one-face call — so it is called flat (TensorFlow is pinned; the served-vs-Keras test guards this).
    """

    def __init__(self, frozen):
        self.frozen = frozen

    def __call__(self, faces: np.ndarray) -> np.ndarray:
        import tensorflow as tf

        return self.frozen._call_flat([tf.constant(faces)], self.frozen.captured_inputs)[0].numpy()


class _LiteGraph:
    """A LiteRT interpreter, resized to each batch size it is given; one call at a time."""

    def __init__(self, tflite: Path, threads: int):
        from ai_edge_litert.interpreter import Interpreter

        self.interpreter = Interpreter(model_path=str(tflite), num_threads=threads)
        self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]["index"]
        self.output = self.interpreter.get_output_details()[0]["index"]
        self.batch = None
        self.lock = threading.Lock()  # an interpreter's tensors are shared state

    def __call__(self, faces: np.ndarray) -> np.ndarray:
        with self.lock:
            if len(faces) != self.batch:
                self.interpreter.resize_tensor_input(self.input, faces.shape)
                self.interpreter.allocate_tensors()
                self.batch = len(faces)
            self.interpreter.set_tensor(self.input, faces)
            self.interpreter.invoke()
            return self.interpreter.get_tensor(self.output)  # a copy


class EmotionClassifier:
    """Thread-safe: may be called from many request threads at once."""

    def __init__(self, weights: str | Path | None = None, *, precision: str = SERVED_PRECISION, threads: int = 0):
        """`precision`: SERVED_PRECISION, or a Keras dtype policy to run the TensorFlow graph in (the peers
        the benchmark and tests compare with). `threads`: cores one call may use (0: all) in the served
        precision; the TensorFlow peers use TensorFlow's process-wide pool.

        The served precision runs the .tflite exported from `weights` (StaleExportError when it is missing
        or was exported from other weights: the message names the command that fixes it)."""
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, not {precision!r}")
        self.weights = Path(weights or DEFAULT_WEIGHTS)
        if not self.weights.is_file():
            raise FileNotFoundError(f"model weights not found: {self.weights}")
        self.precision = precision
        if precision == SERVED_PRECISION:
            self._graph = _LiteGraph(check_export(self.weights), threads or os.cpu_count() or 1)
        else:
            self._graph = _FrozenGraph(self._tensorflow_graph(precision))
        self.warm_up()

    def _tensorflow_graph(self, policy: str):
        import keras  # imported here: the served precision, the dataset and the website need no TensorFlow

        from . import model as model_module  # registers the custom layers for deserialisation

        model = keras.models.load_model(self.weights, compile=False)
        return freeze(model_module.with_test_time_augmentation(model_module.fold_batch_norms(model, policy)))

    def warm_up(self) -> None:
        """Run the graph once, so no request pays for its first-call set-up."""
        self.predict(np.zeros((1, FACE_SIZE, FACE_SIZE, 1), np.float32))

    def predict(self, faces: np.ndarray, batch_size: int = 512) -> np.ndarray:
        """(n, 48, 48, 1) float32 from preprocess_faces → (n, 7) probabilities in EMOTIONS order.

        A face's probabilities do not depend on the other faces in the batch (a test checks)."""
        if len(faces) == 0:
            return np.zeros((0, len(EMOTIONS)), np.float32)
        faces = np.ascontiguousarray(faces, np.float32)
        return np.concatenate(
            [self._graph(faces[start : start + batch_size]) for start in range(0, len(faces), batch_size)]
        )


_shared: dict[Path, EmotionClassifier] = {}
_shared_lock = threading.Lock()


def shared_classifier(weights: str | Path | None = None, *, threads: int = 0) -> EmotionClassifier:
    """One classifier per weights file per process (loaded and warmed once).

    `threads` (0: every core) is how many cores one call may use.
    """
    path = Path(weights or DEFAULT_WEIGHTS)
    with _shared_lock:
        if path not in _shared:
            _shared[path] = EmotionClassifier(path, threads=threads)
        return _shared[path]
