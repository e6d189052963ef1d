"""PNG plots for the model card: training curves and the confusion matrix."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display on servers or CI
import matplotlib.pyplot as plt
import numpy as np

from .labels import EMOTIONS


def plot_training_curves(history: dict, path: Path, validation_label: str = "PublicTest") -> None:
    figure, (loss_axis, accuracy_axis) = plt.subplots(1, 2, figsize=(10, 4))
    epochs = np.arange(1, len(history["loss"]) + 1)
    for axis, metric in ((loss_axis, "loss"), (accuracy_axis, "accuracy")):
        axis.plot(epochs, history[metric], label="training (augmented)")
        if f"val_{metric}" in history:
            axis.plot(epochs, history[f"val_{metric}"], label=validation_label)
        if f"val_mirror_{metric}" in history:  # what picks the kept epoch: the served mirror TTA
            axis.plot(epochs, history[f"val_mirror_{metric}"], label=f"{validation_label}, mirror TTA")
        axis.set_xlabel("epoch")
        axis.set_title(metric)
        axis.grid(alpha=0.3)
        axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def plot_confusion_matrix(confusion, path: Path, title: str) -> None:
    confusion = np.asarray(confusion, dtype=float)
    row_share = confusion / np.maximum(confusion.sum(axis=1, keepdims=True), 1)
    figure, axis = plt.subplots(figsize=(6.5, 5.5))
    image = axis.imshow(row_share, cmap="Blues", vmin=0, vmax=1)
    axis.set_xticks(range(len(EMOTIONS)), EMOTIONS, rotation=45, ha="right")
    axis.set_yticks(range(len(EMOTIONS)), EMOTIONS)
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    axis.set_title(title)
    for row in range(len(EMOTIONS)):
        for column in range(len(EMOTIONS)):
            axis.text(
                column,
                row,
                f"{int(confusion[row, column])}",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if row_share[row, column] > 0.5 else "black",
            )
    figure.colorbar(image, ax=axis, fraction=0.046, label="share of true class")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
