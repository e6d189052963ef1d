"""The emotion CNN: exactly five convolutional layers, plus the augmentation and test-time augmentation
that go with it.

Input: the output of :func:`ml.preprocess.preprocess_faces` (float32, n×48×48×1, [0, 1]).
Output: softmax probabilities over :data:`ml.labels.EMOTIONS`.
"""

from __future__ import annotations

import math
from pathlib import Path

import keras
import numpy as np
from keras import layers, ops

from .labels import NUM_CLASSES
from .preprocess import FACE_SIZE


@keras.saving.register_keras_serializable(package="emojify")
class PerImageStandardization(layers.Layer):
    """Zero mean, unit variance per face: cancels webcam exposure and contrast before the convolutions."""

    def call(self, inputs):
        mean, variance = ops.moments(inputs, axes=[1, 2, 3], keepdims=True)
        return (inputs - mean) * ops.rsqrt(variance + 1e-4)


@keras.saving.register_keras_serializable(package="emojify")
class FusedBatchNormalization(layers.BatchNormalization):
    """Keras batch normalisation whose training step on image tensors runs TensorFlow's fused kernel.

    Keras 3 normalises in separate moment, subtract and scale ops; the fused kernel does it in one pass over
    the activations. Same weights, same function (to float rounding), and a shorter training step, most of the
    gain in the first block's 48×48 maps (measured by bench/training_speed.py; figures in docs/benchmarks.md).
    Inference, non-image inputs and other Keras backends take the stock path.
    """

    def call(self, inputs, training=None, mask=None):
        fusable = (
            keras.backend.backend() == "tensorflow"
            and training
            and self.trainable
            and self.scale
            and self.center
            and not self.renorm
            and mask is None
            and len(inputs.shape) == 4
            and self.axis in (-1, 3)
        )
        if not fusable:
            return super().call(inputs, training=training, mask=mask)
        import tensorflow as tf

        # Statistics in float32 under mixed precision, as the stock layer does.
        normalized, mean, variance, *_ = tf.compat.v1.nn.fused_batch_norm(
            tf.cast(inputs, tf.float32), self.gamma, self.beta, epsilon=self.epsilon, is_training=True
        )
        # The kernel hands back the unbiased batch variance; Keras keeps the biased one in its moving average.
        count = tf.cast(tf.size(inputs) // tf.shape(inputs)[-1], tf.float32)
        variance = variance * (count - 1.0) / count
        self.moving_mean.assign(self.moving_mean * self.momentum + mean * (1.0 - self.momentum))
        self.moving_variance.assign(self.moving_variance * self.momentum + variance * (1.0 - self.momentum))
        return tf.cast(normalized, self.compute_dtype)


def conv_block(x, filters: int, *, pool: bool, weight_decay: float, fused_batch_norm: bool, name: str):
    x = layers.Conv2D(
        filters,
        3,
        padding="same",
        use_bias=False,
        kernel_regularizer=keras.regularizers.l2(weight_decay),
        name=f"{name}_conv",
    )(x)
    norm = FusedBatchNormalization if fused_batch_norm else layers.BatchNormalization
    x = norm(name=f"{name}_bn")(x)
    x = layers.Activation("relu", name=f"{name}_relu")(x)
    if pool:
        x = layers.MaxPooling2D(2, name=f"{name}_pool")(x)
    return x


def fastest_compute_policy(cpuinfo: str | Path = "/proc/cpuinfo") -> str:
    """The Keras dtype policy that runs this network fastest on this CPU.

    bfloat16 pays only where oneDNN has matrix hardware for it (Intel AMX): without it, even with AVX-512 BF16,
    a float32 training step is the faster one (bench/training_speed.py; figures in docs/model.md, Precision).
    """
    try:
        flags = Path(cpuinfo).read_text()
    except OSError:
        return "float32"
    return "mixed_bfloat16" if "amx_bf16" in flags.split() else "float32"


def build_model(
    *,
    widths=(48, 96, 192, 256, 384),
    dense_units: int = 256,
    dropout: float = 0.4,
    weight_decay: float = 1e-4,
    fused_batch_norm: bool = True,
) -> keras.Model:
    """Five 3×3 conv layers (BN + ReLU), pooling to 3×3, then a dropout-regularised dense head.

    Pooling after conv 1–3 and conv 5 keeps the multiply-adds around 90 M per face, which (with bfloat16
    on a CPU with AMX) is what lets the whole recipe train on two CPU cores (times in docs/model.md).
    """
    if len(widths) != 5:
        raise ValueError("the design fixes exactly five convolutional layers")
    inputs = keras.Input((FACE_SIZE, FACE_SIZE, 1), name="face")
    # Standardisation and the softmax stay float32 under mixed precision: they need the range.
    x = PerImageStandardization(name="standardize", dtype="float32")(inputs)
    for index, filters in enumerate(widths, start=1):
        x = conv_block(
            x,
            filters,
            pool=index != 4,
            weight_decay=weight_decay,
            fused_batch_norm=fused_batch_norm,
            name=f"block{index}",
        )
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(dropout, name="dropout1")(x)
    x = layers.Dense(dense_units, use_bias=False, kernel_regularizer=keras.regularizers.l2(weight_decay), name="dense")(
        x
    )
    x = layers.BatchNormalization(name="dense_bn")(x)
    x = layers.Activation("relu", name="dense_relu")(x)
    x = layers.Dropout(dropout, name="dropout2")(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", name="emotion", dtype="float32")(x)
    return keras.Model(inputs, outputs, name="emotion_cnn")


def fold_batch_norms(model: keras.Model, policy: str) -> keras.Model:
    """The same network for inference, with each batch norm folded into the layer before it.

    Conv → BN → ReLU becomes one conv with a bias and a ReLU (kernel × γ/√(σ²+ε), bias β − μ·γ/√(σ²+ε)):
    the same function in fewer, fusable ops, which is most of what a one-face call costs on a CPU.
    `policy`, the Keras dtype policy it computes in, is independent of the precision the weights trained in.
    """
    import numpy as np

    def folded(layer_name: str, norm_name: str):
        kernel = model.get_layer(layer_name).get_weights()[0]
        norm = model.get_layer(norm_name)
        gamma, beta, mean, variance = norm.get_weights()
        scale = gamma / np.sqrt(variance + norm.epsilon)
        return [kernel * scale, beta - mean * scale]

    inputs = keras.Input((FACE_SIZE, FACE_SIZE, 1), name="face")
    x = PerImageStandardization(name="standardize", dtype="float32")(inputs)
    weights = []
    for index in range(1, 6):
        conv = model.get_layer(f"block{index}_conv")
        x = layers.Conv2D(conv.filters, 3, padding="same", activation="relu", dtype=policy, name=f"block{index}_conv")(
            x
        )
        weights.append(folded(f"block{index}_conv", f"block{index}_bn"))
        if f"block{index}_pool" in {layer.name for layer in model.layers}:
            x = layers.MaxPooling2D(2, dtype=policy, name=f"block{index}_pool")(x)
    x = layers.Flatten(dtype=policy, name="flatten")(x)
    x = layers.Dense(model.get_layer("dense").units, activation="relu", dtype=policy, name="dense")(x)
    weights.append(folded("dense", "dense_bn"))
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", name="emotion", dtype="float32")(x)
    weights.append(model.get_layer("emotion").get_weights())
    inference = keras.Model(inputs, outputs, name=f"{model.name}_folded")
    for layer_weights, name in zip(weights, [f"block{i}_conv" for i in range(1, 6)] + ["dense", "emotion"]):
        inference.get_layer(name).set_weights(layer_weights)
    return inference


def adjust_for_prior(model: keras.Model, prior, strength: float) -> None:
    """Divide the net's readings by its training targets' class shares to the power `strength`, in place.

    Logit adjustment (Menon et al. 2021): subtracting strength · log(prior) from the last layer's bias turns
    softmax(z) into softmax(z) / prior^strength, renormalised. A net trained on FER+ reads a face as neutral or
    happy partly because a third and a quarter of its training votes were; at 1 the prior is taken out entirely
    (every class as likely a priori), at 0 nothing changes.
    """
    import numpy as np

    layer = model.get_layer("emotion")
    kernel, bias = layer.get_weights()
    shares = np.clip(np.asarray(prior, dtype=np.float64), 1e-3, None)  # a class absent from the targets: no inf
    layer.set_weights([kernel, (bias - strength * np.log(shares)).astype(bias.dtype)])


def random_affine_transforms(batch, seed, *, rotation_degrees: float, zoom: float, shift: float, size: int = FACE_SIZE):
    """One projective-transform row per image: mirror, rotation, zoom and shift composed into a single warp.

    Each row maps an output pixel to where it is sampled in the input (`keras.ops.image.affine_transform`'s
    convention), about the face's centre. Composing them means each face is resampled once: three
    successive warps would blur the training faces, which the served (never resampled) crops are not.
    """
    uniform = lambda low, high: keras.random.uniform((batch,), low, high, seed=seed)
    angle = uniform(-1.0, 1.0) * math.radians(rotation_degrees)
    inverse_scale = 1.0 / uniform(1.0 - zoom, 1.0 + zoom)  # >1 zooms out
    mirror = ops.where(uniform(0.0, 1.0) < 0.5, -1.0, 1.0)
    shift_x, shift_y = (uniform(-shift, shift) * size for _ in range(2))
    cos, sin = ops.cos(angle) * inverse_scale, ops.sin(angle) * inverse_scale
    a0, a1, b0, b1 = cos * mirror, -sin, sin * mirror, cos
    centre = (size - 1) / 2.0
    a2 = centre - a0 * centre - a1 * centre + shift_x
    b2 = centre - b0 * centre - b1 * centre + shift_y
    zeros = ops.zeros_like(a0)
    return ops.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)


def random_erasing(images, probability: float, seed, *, area=(0.02, 0.2), aspect=(0.3, 3.3)):
    """Replace one random rectangle of each face (with `probability`) by noise: a hand, hair or a shadow
    over part of the face, so the net cannot rely on any one region (Zhong et al., 2020)."""
    batch, size = ops.shape(images)[0], float(FACE_SIZE)
    uniform = lambda low, high: keras.random.uniform((batch,), low, high, seed=seed)
    areas = uniform(*area) * size * size
    ratio = ops.exp(uniform(math.log(aspect[0]), math.log(aspect[1])))
    height = ops.clip(ops.sqrt(areas * ratio), 1.0, size)
    width = ops.clip(ops.sqrt(areas / ratio), 1.0, size)
    top = uniform(0.0, 1.0) * (size - height)
    left = uniform(0.0, 1.0) * (size - width)
    grid = ops.arange(FACE_SIZE, dtype="float32")
    rows, columns = grid[None, :, None], grid[None, None, :]
    inside = (
        (rows >= top[:, None, None])
        & (rows < (top + height)[:, None, None])
        & (columns >= left[:, None, None])
        & (columns < (left + width)[:, None, None])
    )
    erase = inside & (uniform(0.0, 1.0) < probability)[:, None, None]
    noise = keras.random.uniform(ops.shape(images), seed=seed)
    return ops.where(erase[..., None], noise, images)


@keras.saving.register_keras_serializable(package="emojify")
class TrainingAugmentation(layers.Layer):
    """Batch augmentation for training, as a layer in front of the net: what a webcam or phone does to a face.

    Geometric (one warp): mirror, slight rotation, shift and scale of the crop (the detector never frames
    a face exactly like FER2013). Photometric: brightness, contrast, gamma, blur and sensor noise. Then, with
    `erasing_probability`, random erasing of one rectangle. Identity outside training. Written in
    `keras.ops`, so the same recipe trains on any Keras backend (TensorFlow here, JAX on a GPU machine).
    """

    def __init__(
        self,
        *,
        rotation_degrees: float = 12.0,
        zoom: float = 0.15,
        shift: float = 0.1,
        gamma: float = 0.4,
        contrast: float = 0.4,
        brightness: float = 0.25,
        blur_probability: float = 0.25,
        noise_stddev: float = 0.03,
        erasing_probability: float = 0.0,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.settings = dict(
            rotation_degrees=rotation_degrees,
            zoom=zoom,
            shift=shift,
            gamma=gamma,
            contrast=contrast,
            brightness=brightness,
            blur_probability=blur_probability,
            noise_stddev=noise_stddev,
            erasing_probability=erasing_probability,
        )
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=None):
        if not training:
            return images
        options, seed = self.settings, self.seed_generator
        batch = ops.shape(images)[0]
        transforms = random_affine_transforms(
            batch, seed, rotation_degrees=options["rotation_degrees"], zoom=options["zoom"], shift=options["shift"]
        )
        images = ops.image.affine_transform(images, transforms, interpolation="bilinear", fill_mode="reflect")
        per_image = lambda low, high: keras.random.uniform((batch, 1, 1, 1), low, high, seed=seed)
        images = ops.clip(images, 1e-3, 1.0) ** ops.exp(per_image(-options["gamma"], options["gamma"]))
        mean = ops.mean(images, axis=(1, 2, 3), keepdims=True)
        contrast, brightness = options["contrast"], options["brightness"]
        images = (images - mean) * per_image(1 - contrast, 1 + contrast) + mean + per_image(-brightness, brightness)
        blurred = ops.average_pool(images, 3, strides=1, padding="same")
        images = ops.where(per_image(0.0, 1.0) < options["blur_probability"], blurred, images)
        images = images + keras.random.normal(ops.shape(images), stddev=options["noise_stddev"], seed=seed)
        if options["erasing_probability"] > 0:
            images = random_erasing(images, options["erasing_probability"], seed)
        return ops.clip(images, 0.0, 1.0)

    def get_config(self):
        return super().get_config() | self.settings | {"seed": self.seed}


# Mirror only: no rotation, shift, light, blur or noise (zoom and erasing have their own options).
MIRROR_ONLY = dict(
    rotation_degrees=0.0, shift=0.0, gamma=0.0, contrast=0.0, brightness=0.0, blur_probability=0.0, noise_stddev=0.0
)


def with_test_time_augmentation(model: keras.Model):
    """A compiled inference function: the mean of the softmax over the face and its mirror image.

    This one function is what evaluation and the website call, so the reported accuracy is the served one.
    """
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([None, FACE_SIZE, FACE_SIZE, 1], tf.float32)], reduce_retracing=True)
    def predict(faces):
        both = tf.concat([faces, tf.reverse(faces, axis=[2])], axis=0)
        probabilities = model(both, training=False)
        count = tf.shape(faces)[0]
        return (probabilities[:count] + probabilities[count:]) / 2.0

    return predict


class KerasMirrorClassifier:
    """The saved Keras model with the served mirror TTA, on any Keras backend: what training reports where
    TensorFlow (and so the TF Lite serving path) is not installed."""

    def __init__(self, weights: str | Path):
        self.weights, self.precision = Path(weights), f"float32 Keras ({keras.backend.backend()})"
        self.model = keras.models.load_model(self.weights, compile=False)

    def predict(self, faces):
        return np.mean(face_and_mirror_readings(self.model, faces), axis=0)


def face_and_mirror_readings(model: keras.Model, faces) -> tuple[np.ndarray, np.ndarray]:
    """The softmax of each face as it is and of its mirror image, eagerly on any backend (float32). Their mean is
    the served test-time augmentation."""
    both = ops.concatenate([faces, ops.flip(faces, axis=2)], axis=0)
    probabilities = ops.convert_to_numpy(model.predict(both, batch_size=1024, verbose=0)).astype(np.float32)
    return probabilities[: len(faces)], probabilities[len(faces) :]
