"""Write the served model: the .keras weights as the TensorFlow Lite file the website runs.

    python -m ml.export [--weights ml/weights/emotion_cnn.keras]

The network with its batch norms folded (ml.model.fold_batch_norms), the mirror test-time augmentation and the
weights frozen into one graph, converted to TensorFlow Lite with int8 weights ("dynamic range" quantisation:
each face's activations are quantised on the fly, so no calibration data is needed). Written beside the
weights as emotion_cnn.tflite, with emotion_cnn.tflite.json recording the SHA-256 of the .keras file it came
from: the website refuses a .tflite exported from other weights, and a test says to run this command.
`ml.train` runs it at its end; after replacing the .keras file by hand, run it once.

Done once here rather than when the site starts, so web workers load the LiteRT runtime (ai-edge-litert)
and a 2.5 MB file, never TensorFlow: a third of the memory and a tenth of the start-up time.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .dataset import file_sha256
from .inference import DEFAULT_WEIGHTS, EXPORT_COMMAND, served_model_paths


def quantize(frozen) -> bytes:
    """A TensorFlow Lite flatbuffer of a frozen function, with int8 weights and float inputs and outputs."""
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_concrete_functions([frozen])
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    return converter.convert()


def export(weights: str | Path = DEFAULT_WEIGHTS) -> Path:
    """Convert `weights` (a .keras file) to the served .tflite beside it; returns the .tflite's path."""
    import keras
    import tensorflow as tf

    from . import model as model_module  # registers the custom layers for deserialisation
    from .inference import freeze

    weights = Path(weights)
    if not weights.is_file():
        raise FileNotFoundError(f"model weights not found: {weights}")
    model = keras.models.load_model(weights, compile=False)
    served = model_module.fold_batch_norms(model, "float32")
    flatbuffer = quantize(freeze(model_module.with_test_time_augmentation(served)))
    tflite, record = served_model_paths(weights)
    tflite.write_bytes(flatbuffer)
    record.write_text(
        json.dumps(
            {
                "weights": weights.name,
                "weights_sha256": file_sha256(weights),
                "tflite_sha256": file_sha256(tflite),
                "graph": "batch norms folded, mean softmax of the face and its mirror image",
                "quantization": "dynamic-range int8 weights, float32 input and output",
                "tensorflow": tf.__version__,
                "command": EXPORT_COMMAND,
            },
            indent=2,
        )
        + "\n"
    )
    return tflite


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ml.export", description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default=str(DEFAULT_WEIGHTS), help="the .keras file to export")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        tflite = export(args.weights)
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {tflite} ({tflite.stat().st_size / 1e6:.1f} MB) and {tflite.name}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
