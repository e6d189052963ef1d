"""The learning-rate schedule and the callbacks of a training run: its time budget and the checkpoint it keeps."""

from __future__ import annotations

import math
import time

import keras
import numpy as np
from keras import ops

from .model import face_and_mirror_readings


@keras.saving.register_keras_serializable(package="emojify")
class WarmupCosineDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up from peak/20 to the peak, then cosine decay to zero at `total_steps`.

    `total_steps` is a variable so that training can size the decay to the time it has
    (:class:`TimeBudget` sets it once the first epoch shows how fast this machine is).
    """

    def __init__(self, peak: float, warmup_steps: int, total_steps: int):
        self.peak, self.warmup_steps = float(peak), int(warmup_steps)
        self.total_steps = keras.Variable(float(total_steps), trainable=False, dtype="float32")

    def __call__(self, step):
        step = ops.cast(step, "float32")
        warmup = float(max(self.warmup_steps, 1))
        warming = self.peak * (0.05 + 0.95 * step / warmup)
        progress = ops.clip((step - warmup) / ops.maximum(self.total_steps - warmup, 1.0), 0.0, 1.0)
        decaying = 0.5 * self.peak * (1.0 + ops.cos(math.pi * progress))
        return ops.where(step < warmup, warming, decaying)

    def get_config(self):
        return {
            "peak": self.peak,
            "warmup_steps": self.warmup_steps,
            "total_steps": int(ops.convert_to_numpy(self.total_steps)),
        }


class TimeBudget(keras.callbacks.Callback):
    """Plans how many epochs fit before a deadline and shapes the learning-rate decay to end on the last.

    After each epoch the plan becomes the epochs already run plus as many more as fit in the time left at
    the slower of the mean pace so far and that of the last three epochs (a shared host's speed drifts by
    half within minutes). The first epoch also traces the graph, so it leaves the pace once others exist.
    The plan follows the machine both ways: it grows when epochs get faster (the cosine stretches a
    little, a small rise in the rate) and shrinks when they slow, within warm-up + 1 and `max_epochs`.
    """

    def __init__(
        self, schedule: WarmupCosineDecay, *, deadline: float, steps_per_epoch: int, max_epochs: int, min_epochs: int
    ):
        super().__init__()
        self.schedule, self.deadline, self.steps_per_epoch = schedule, deadline, steps_per_epoch
        self.epochs = self.max_epochs = max_epochs
        self.min_epochs = min(min_epochs, max_epochs)
        self.epoch_started, self.epoch_seconds = 0.0, []

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_started = time.time()

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_seconds.append(time.time() - self.epoch_started)
        if self.replan(epoch + 1, time.time()):
            print(f"time budget: {self.epochs} epochs in all", flush=True)
        if epoch + 1 >= self.epochs:
            self.model.stop_training = True

    def replan(self, epochs_done: int, now: float) -> bool:
        """Fit the plan to the time left; True when it changed."""
        steady = self.epoch_seconds[1:] or self.epoch_seconds
        pace = max(np.mean(steady), np.mean(steady[-3:]))
        fits = epochs_done + int(max(self.deadline - now, 0.0) // pace)
        planned = max(min(self.max_epochs, fits), self.min_epochs, epochs_done)
        if planned == self.epochs:
            return False
        self.epochs = planned
        self.schedule.total_steps.assign(float(planned * self.steps_per_epoch))
        return True


class KeepBest(keras.callbacks.Callback):
    """Saves `model` — the served net, without the training wrapper, its augmentation or optimizer state —
    whenever the monitored validation figure improves."""

    def __init__(self, model: keras.Model, path, *, monitor: str):
        super().__init__()
        self.served_model, self.path, self.monitor, self.best = model, path, monitor, -np.inf

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor, -np.inf)
        if value > self.best:
            self.best = value
            self.served_model.save(self.path)


class Validation(keras.callbacks.Callback):
    """After each epoch, the served net alone reads the validation faces: not the training wrapper, whose
    teachers would read them too. Logs `val_loss` and `val_accuracy` on each face as it is, against its label,
    and `val_mirror_accuracy` with the served test-time augmentation (mean of face and mirror), which is what
    picks the checkpoint: the single view can rank two epochs the other way round. Place it after
    `SwapEMAWeights`, which puts the averaged weights in at the epoch's end."""

    def __init__(self, model: keras.Model, faces: np.ndarray, labels: np.ndarray, *, label_smoothing: float):
        super().__init__()
        self.served_model, self.faces, self.labels = model, faces, np.asarray(labels)
        self.one_hot = keras.utils.to_categorical(self.labels, model.output_shape[-1])
        self.loss = keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing)

    def on_epoch_end(self, epoch, logs=None):
        as_is, mirrored = face_and_mirror_readings(self.served_model, self.faces)
        logs["val_loss"] = float(ops.convert_to_numpy(self.loss(self.one_hot, as_is)))
        logs["val_accuracy"] = float(np.mean(as_is.argmax(axis=1) == self.labels))
        logs["val_mirror_accuracy"] = float(np.mean((as_is + mirrored).argmax(axis=1) == self.labels))
