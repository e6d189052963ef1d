"""Accuracy, per-class precision/recall/F1 and the confusion matrix, in plain NumPy."""

from __future__ import annotations

import numpy as np

from .labels import EMOTIONS, NUM_CLASSES


def classification_report(labels: np.ndarray, predicted: np.ndarray) -> dict:
    confusion = np.zeros((NUM_CLASSES, NUM_CLASSES), np.int64)  # rows: true, columns: predicted
    np.add.at(confusion, (labels, predicted), 1)
    true_positive = np.diag(confusion).astype(float)
    support = confusion.sum(axis=1)
    predicted_count = confusion.sum(axis=0)
    precision = np.divide(true_positive, predicted_count, out=np.zeros(NUM_CLASSES), where=predicted_count > 0)
    recall = np.divide(true_positive, support, out=np.zeros(NUM_CLASSES), where=support > 0)
    f1 = np.divide(
        2 * precision * recall, precision + recall, out=np.zeros(NUM_CLASSES), where=(precision + recall) > 0
    )
    return {
        "accuracy": float(true_positive.sum() / max(len(labels), 1)),
        "count": int(len(labels)),
        "per_class": {
            emotion: {
                "precision": round(float(precision[i]), 4),
                "recall": round(float(recall[i]), 4),
                "f1": round(float(f1[i]), 4),
                "support": int(support[i]),
            }
            for i, emotion in enumerate(EMOTIONS)
        },
        "confusion_matrix": confusion.tolist(),
    }


def format_report(report: dict) -> str:
    lines = [f"{'emotion':<10}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}"]
    for emotion, scores in report["per_class"].items():
        lines.append(
            f"{emotion:<10}{scores['precision']:>10.4f}{scores['recall']:>10.4f}"
            f"{scores['f1']:>10.4f}{scores['support']:>10d}"
        )
    lines += [
        "",
        "confusion matrix (rows: true, columns: predicted)",
        " " * 10 + "".join(f"{emotion[:8]:>9}" for emotion in EMOTIONS),
    ]
    for emotion, row in zip(EMOTIONS, report["confusion_matrix"]):
        lines.append(f"{emotion:<10}" + "".join(f"{count:>9d}" for count in row))
    return "\n".join(lines)
