"""The learning-rate schedule and the callbacks of a training run: its time budget and the checkpoint it keeps."""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

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

    def __init__(self, model: keras.Model, path, *, monitor: str, best: float = -np.inf):
        super().__init__()
        self.served_model, self.path, self.monitor, self.best = model, path, monitor, best

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


class ResumableRun:
    """A run's training state backed up after every epoch, so that a run stopped anywhere goes on from its last
    finished epoch when started again with the same arguments (`ml.train --resume`): a long recipe can span
    sessions on a machine where one session cannot finish it.

    The state lives in `directory`: the training wrapper's weights with its optimizer (moments, step count, the
    moving average of the weights) in two alternating slots, and `run.json`, the commit point, which names the
    slot of the last finished epoch beside the history so far, the seconds spent fitting and the run's
    arguments. An epoch's slot is written before its record, so a stop between the two leaves the previous
    record naming the previous, untouched slot. Two callbacks: :attr:`saver` goes first in `fit`'s list, before
    `SwapEMAWeights` puts the averaged weights in at the epoch's end (the slot holds the live weights, the
    average stays in the optimizer), and :attr:`recorder` goes last, once the epoch's validation figures exist.
    """

    RECORD = "run.json"

    def __init__(self, directory, arguments: dict):
        self.directory, self.arguments = Path(directory), arguments
        path = self.directory / self.RECORD
        self.record = json.loads(path.read_text()) if path.is_file() else {"arguments": arguments, "slot": None}
        changed = sorted(
            key
            for key in self.record["arguments"].keys() | arguments.keys()
            if self.record["arguments"].get(key) != arguments.get(key)
        )
        if changed:
            raise ValueError(
                f"{self.directory} holds a run with other arguments ({', '.join(changed)}): give the same ones "
                "to go on with it, or another --output-dir"
            )
        self.record.setdefault("epochs_done", 0)
        self.record.setdefault("fit_seconds", 0.0)
        self.history: dict[str, list[float]] = self.record.setdefault("history", {})

    @property
    def epochs_done(self) -> int:
        return int(self.record["epochs_done"])

    def best(self, monitor: str) -> float:
        """The best `monitor` figure of the epochs already run (−inf before the first)."""
        return max(self.history.get(monitor, []), default=-np.inf)

    def restore(self, trainer: keras.Model) -> int:
        """Loads the last finished epoch's state into the compiled `trainer`; returns `fit`'s `initial_epoch`."""
        if self.record["slot"] is None:
            return 0
        trainer.optimizer.build(trainer.trainable_variables)  # its variables must exist to be loaded into
        trainer.load_weights(self.directory / self.record["slot"])
        return self.epochs_done

    @staticmethod
    def _slot(epoch: int) -> str:
        return f"state-{epoch % 2}.weights.h5"

    @property
    def saver(self) -> keras.callbacks.Callback:
        run = self

        class SaveState(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                run.directory.mkdir(parents=True, exist_ok=True)
                self.model.save_weights(run.directory / run._slot(epoch))

        return SaveState()

    @property
    def recorder(self) -> keras.callbacks.Callback:
        run = self

        class RecordEpoch(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                self.epoch_started = time.time()

            def on_epoch_end(self, epoch, logs=None):
                for key, value in (logs or {}).items():
                    run.history.setdefault(key, []).append(round(float(value), 6))
                run.record.update(
                    epochs_done=epoch + 1,
                    slot=run._slot(epoch),
                    fit_seconds=round(run.record["fit_seconds"] + time.time() - self.epoch_started, 1),
                )
                written = run.directory / (run.RECORD + ".part")
                written.write_text(json.dumps(run.record, indent=1))
                os.replace(written, run.directory / run.RECORD)  # atomic: a stop leaves the old record or the new

        return RecordEpoch()
