"""Load the shipped (or any) weights once and classify batches of preprocessed faces with the same
test-time augmentation the accuracy figures were measured with.

Served: the network with its batch norms folded (ml.model.fold_batch_norms), the mirror TTA and the weights
frozen into one graph, converted to TensorFlow Lite with int8 weights ("dynamic range" quantisation: each
face's activations are quantised on the fly) and run by XNNPACK. One face takes a fifth (two threads) to
a quarter (one thread) of the float32 TensorFlow graph's time, for PublicTest accuracy equal to within a
few faces (bench/model_speed.py, python -m ml.evaluate). The float graphs stay available as its peers.
"""
from __future__ import annotations

import os
import threading
import warnings
from pathlib import Path

import numpy as np

from .labels import EMOTIONS
from .preprocess import FACE_SIZE

DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "weights" / "emotion_cnn.keras"
SERVED_PRECISION = "dynamic_int8"
PRECISIONS = (SERVED_PRECISION, "float32", "mixed_bfloat16")  # the last two: Keras dtype policies


def freeze(predict):
    """The inference graph with the weights folded in as constants.

    TensorFlow then skips every variable read and fuses each conv with its bias and ReLU: with the batch
    norms folded a one-face call takes about a third less time than the plain Keras model.
    """
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    return convert_variables_to_constants_v2(predict.get_concrete_function())


def quantize(frozen) -> bytes:
    """A TensorFlow Lite flatbuffer of a frozen function, with int8 weights and float inputs and outputs.

    Dynamic-range quantisation needs no calibration data, so it is done from the .keras weights at load
    time and the weights file stays the one artefact training ships.
    """
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_concrete_functions([frozen])
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    return converter.convert()


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
    """A TensorFlow Lite interpreter, resized to each batch size it is given; one call at a time."""

    def __init__(self, flatbuffer: bytes, threads: int):
        import tensorflow as tf

        with warnings.catch_warnings():
            # tf.lite.Interpreter warns that it will move to the ai-edge-litert package; TensorFlow is pinned.
            warnings.simplefilter("ignore", UserWarning)
            self.interpreter = tf.lite.Interpreter(model_content=flatbuffer, num_threads=threads)
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

    def __init__(self, weights: str | Path | None = None, *, precision: str = SERVED_PRECISION,
                 threads: int = 0):
        """`precision`: SERVED_PRECISION, or a Keras dtype policy to run the TensorFlow graph in (the peers
        the benchmark and tests compare with). `threads`: cores one call may use (0: all) in the served
        precision; the TensorFlow peers use TensorFlow's process-wide pool."""
        import keras  # imported here so that loading the dataset alone does not start TensorFlow

        from . import model as model_module  # registers the custom layers for deserialisation

        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, not {precision!r}")
        self.weights = Path(weights or DEFAULT_WEIGHTS)
        if not self.weights.is_file():
            raise FileNotFoundError(f"model weights not found: {self.weights}")
        self.precision = precision
        self.model = keras.models.load_model(self.weights, compile=False)
        policy = "float32" if precision == SERVED_PRECISION else precision
        served = model_module.fold_batch_norms(self.model, policy)
        frozen = freeze(model_module.with_test_time_augmentation(served))
        if precision == SERVED_PRECISION:
            self._graph = _LiteGraph(quantize(frozen), threads or os.cpu_count() or 1)
        else:
            self._graph = _FrozenGraph(frozen)
        self.warm_up()

    def warm_up(self) -> None:
        """Run the graph once, so no request pays for its first-call set-up."""
        self.predict(np.zeros((1, FACE_SIZE, FACE_SIZE, 1), np.float32))

    def predict(self, faces: np.ndarray, batch_size: int = 512) -> np.ndarray:
        """(n, 48, 48, 1) float32 from preprocess_faces → (n, 7) probabilities in EMOTIONS order.

        A face's probabilities do not depend on the other faces in the batch (a test checks)."""
        if len(faces) == 0:
            return np.zeros((0, len(EMOTIONS)), np.float32)
        faces = np.ascontiguousarray(faces, np.float32)
        return np.concatenate([self._graph(faces[start:start + batch_size])
                               for start in range(0, len(faces), batch_size)])


_shared: dict[Path, EmotionClassifier] = {}
_shared_lock = threading.Lock()


def shared_classifier(weights: str | Path | None = None, *, threads: int = 0) -> EmotionClassifier:
    """One classifier per weights file per process (loading, quantising and warming take about two seconds).

    `threads` (0: every core) is how many cores one call may use.
    """
    path = Path(weights or DEFAULT_WEIGHTS)
    with _shared_lock:
        if path not in _shared:
            _shared[path] = EmotionClassifier(path, threads=threads)
        return _shared[path]
