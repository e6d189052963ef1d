"""Load the shipped (or any) weights once and classify batches of preprocessed faces with the same
test-time augmentation the accuracy figures were measured with."""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from .labels import EMOTIONS
from .preprocess import FACE_SIZE

DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "weights" / "emotion_cnn.keras"


def freeze(predict):
    """The inference graph with the weights folded in as constants.

    TensorFlow then skips every variable read and fuses each conv with its bias and ReLU: with the batch
    norms folded (ml.model.fold_batch_norms) a one-face call takes about a third less time than the plain
    Keras model, for the same probabilities to within bfloat16 rounding (a test checks).
    """
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    return convert_variables_to_constants_v2(predict.get_concrete_function())


class EmotionClassifier:
    """Thread-safe: the compiled TF function may be called from many request threads at once."""

    def __init__(self, weights: str | Path | None = None, *, policy: str | None = None):
        """`policy`: the dtype policy to serve in (default: ml.model.fastest_compute_policy())."""
        import keras  # imported here so that loading the dataset alone does not start TensorFlow

        from . import model as model_module  # registers PerImageStandardization for deserialisation

        self.weights = Path(weights or DEFAULT_WEIGHTS)
        if not self.weights.is_file():
            raise FileNotFoundError(f"model weights not found: {self.weights}")
        self.model = keras.models.load_model(self.weights, compile=False)
        served = model_module.fold_batch_norms(self.model, policy)
        self._predict = freeze(model_module.with_test_time_augmentation(served))
        self.warm_up()

    def warm_up(self) -> None:
        """Trace the TF function for the batch sizes a frame usually has, so no request pays for it."""
        for count in (1, 2, 4):
            self.predict(np.zeros((count, FACE_SIZE, FACE_SIZE, 1), np.float32))

    def predict(self, faces: np.ndarray, batch_size: int = 512) -> np.ndarray:
        """(n, 48, 48, 1) float32 from preprocess_faces → (n, 7) probabilities in EMOTIONS order."""
        if len(faces) == 0:
            return np.zeros((0, len(EMOTIONS)), np.float32)
        import tensorflow as tf  # (already loaded by __init__; kept out of module import time)

        # The frozen function has one flat tensor input. Its __call__ would first try (and fail) to bind
        # a structured signature, which costs ~0.5 ms — a third of the whole call — so it is called flat
        # (TensorFlow is pinned; the served-vs-Keras test in tests/test_ml_training.py guards this).
        chunks = [self._predict._call_flat([tf.constant(faces[start:start + batch_size])],
                                           self._predict.captured_inputs)[0].numpy()
                  for start in range(0, len(faces), batch_size)]
        return np.concatenate(chunks)


_shared: dict[Path, EmotionClassifier] = {}
_shared_lock = threading.Lock()


def shared_classifier(weights: str | Path | None = None, *, threads: int = 0) -> EmotionClassifier:
    """One classifier per weights file per process (loading and tracing cost about a second).

    `threads` (0: TensorFlow's default, every core) is how many cores one call may use. It can only be set
    before TensorFlow starts, so it applies when the process's first model is loaded and not after.
    """
    path = Path(weights or DEFAULT_WEIGHTS)
    with _shared_lock:
        if path not in _shared:
            if threads and not _shared:
                import tensorflow as tf

                try:
                    tf.config.threading.set_intra_op_parallelism_threads(threads)
                except RuntimeError:  # TensorFlow already running in this process (e.g. a test trained)
                    pass
            _shared[path] = EmotionClassifier(path)
        return _shared[path]
