"""Train the five-conv emotion CNN on FER2013's faces, labelled by FER+'s ten taggers.

    python -m ml.train [--data PATH] [--targets probability] [--epochs 80] [--time-budget-minutes 70] [--seed 0]
                       [--output-dir ml/weights]

With a FER+ file (the default) each training face's target is its taggers' votes (`--targets probability`,
Barsoum et al. 2016) or their majority (`--targets majority`), and the checkpoint is picked on the majority
label of the validation faces; with a FER2013 file (no votes) the target is FER2013's single label.

Reads top to bottom: data → model → fit (the best PublicTest checkpoint kept, read with the served mirror
test-time augmentation) → evaluate as served → weights, the served .tflite (ml.export), model card JSON and
plots in the output directory.

The run fits its time budget on whatever machine it runs on: after every epoch it plans as many epochs as
fit (at most --epochs) and stretches or shortens the cosine learning-rate decay to end on the last one.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

from .dataset import DEFAULT_DATA

DEFAULT_OUTPUT = Path(__file__).resolve().parent / "weights"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m ml.train", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", default=str(DEFAULT_DATA), help="FER+ CSV (votes), FER2013 CSV (.csv/.csv.gz) or image folders"
    )
    parser.add_argument(
        "--targets",
        choices=["probability", "majority"],
        default="probability",
        help="with FER+ votes: learn the taggers' vote shares, or one-hot of their majority",
    )
    parser.add_argument(
        "--min-votes",
        type=int,
        default=2,
        help="with --targets probability: drop answers fewer taggers than this gave (outliers)",
    )
    parser.add_argument(
        "--single-label-share",
        type=float,
        default=0.0,
        help="with FER+ votes: share of each training target taken from FER2013's own single label of the face "
        "(it names mild, posed expressions the taggers often call neutral; 0: the votes alone)",
    )
    parser.add_argument(
        "--neutral-vote-weight",
        type=float,
        default=1.0,
        help="with FER+ votes: neutral's vote share of each face weighed by this against the other answers' "
        "(0.5: a face 7 taggers called neutral and 3 sad is taught 54%% neutral; one all called neutral stays "
        "neutral; 1: the votes as they are; with --targets probability)",
    )
    parser.add_argument("--train-usage", default="Training", help="rows to train on")
    parser.add_argument("--val-usage", default="PublicTest", help="rows that pick the best checkpoint")
    parser.add_argument("--output-dir", default=str(DEFAULT_OUTPUT))
    parser.add_argument("--epochs", type=int, default=80, help="at most; the time budget may plan fewer")
    parser.add_argument(
        "--time-budget-minutes",
        type=float,
        default=70.0,
        help="wall time for the whole run, data loading included (0: run exactly --epochs)",
    )
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--learning-rate", type=float, default=2e-3, help="peak, after warm-up")
    parser.add_argument("--warmup-epochs", type=int, default=2)
    parser.add_argument("--label-smoothing", type=float, default=0.1)
    parser.add_argument("--weight-decay", type=float, default=1e-4)
    parser.add_argument("--dropout", type=float, default=0.3)
    parser.add_argument(
        "--class-balance",
        type=float,
        default=0.0,
        help="weigh each class's loss by its frequency to this power, inverted: 0 off, 1 fully "
        "balanced (disgust is 1.5%% of FER2013, happy 25%%)",
    )
    parser.add_argument(
        "--random-erasing",
        type=float,
        default=0.0,
        help="probability of erasing one random rectangle of a training face (0: off)",
    )
    parser.add_argument(
        "--augment",
        choices=["webcam", "mirror"],
        default="webcam",
        help="webcam: mirror, rotation, zoom, shift, light, blur and noise (as a webcam varies a "
        "face); mirror: the mirror image only (--zoom and --random-erasing still apply)",
    )
    parser.add_argument(
        "--zoom",
        type=float,
        default=0.15,
        help="training crops are scaled by up to ±this (the detector frames faces loosely)",
    )
    parser.add_argument(
        "--teacher-readings",
        default=None,
        help="an ensemble's readings of the training faces (python -m ml.distill) to learn from",
    )
    parser.add_argument(
        "--teachers",
        nargs="+",
        default=None,
        help="online distillation: these .keras nets read every augmented training face, every "
        "step (for an accelerator: a forward pass of each per step)",
    )
    parser.add_argument(
        "--distill",
        type=float,
        default=0.5,
        help="with --teacher-readings or --teachers: share of each training label taken from the teachers",
    )
    parser.add_argument(
        "--mixup",
        type=float,
        default=0.0,
        help="with --teachers: blend training faces in pairs, weights ~ Beta(this, this) "
        "(0: off); the teachers read the blend",
    )
    parser.add_argument(
        "--init-weights",
        default=None,
        help="fine-tune: start from this .keras net (same --widths and --dense-units), not at random",
    )
    parser.add_argument(
        "--keep-fine-tuned",
        type=float,
        default=1.0,
        help="with --init-weights: the weights kept are this share of the fine-tuned net's plus the "
        "rest of the start's (WiSE-FT, Wortsman et al. 2022: a fine-tune that reads faces unlike "
        "its data as well as its start did); 1: the fine-tuned net alone",
    )
    parser.add_argument(
        "--logit-adjustment",
        type=float,
        default=0.0,
        help="divide the kept net's readings by its training targets' class shares to this power "
        "(0: off, 1: every class equally likely a priori); FER+'s votes are a third neutral",
    )
    parser.add_argument(
        "--logit-adjustment-prior",
        choices=["targets", "votes"],
        default="targets",
        help="with --logit-adjustment: the class shares divided by: the training targets', or the taggers' "
        "vote shares of the same faces whatever --single-label-share (the prior a net started from FER+ "
        "votes was taught)",
    )
    parser.add_argument(
        "--ema-momentum",
        type=float,
        default=0.999,
        help="checkpoints and evaluation use this moving average of the weights (0: off)",
    )
    parser.add_argument("--widths", default="48,96,192,256,384", help="filters of the five conv layers")
    parser.add_argument("--dense-units", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--precision",
        choices=["auto", "mixed_bfloat16", "float32"],
        default="auto",
        help="auto: bfloat16 where the CPU has AMX, else float32 (faster there)",
    )
    parser.add_argument("--threads", type=int, default=0, help="TensorFlow threads (0: all cores)")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="back the training state up in OUTPUT_DIR/resume after every epoch, and go on from there when it "
        "holds a run of the same arguments (so a long run can be stopped and span sessions; needs "
        "--time-budget-minutes 0)",
    )
    return parser.parse_args(argv)


def balanced_class_weights(labels: np.ndarray, power: float) -> dict[int, float]:
    """Each class's loss weight: its frequency to the power −`power`, scaled so a training row weighs 1 on average."""
    from .labels import NUM_CLASSES

    counts = np.bincount(labels, minlength=NUM_CLASSES)
    weights = counts.clip(min=1).astype(float) ** -power  # a class without rows weighs nothing either way
    return {label: float(weight) for label, weight in enumerate(weights * len(labels) / (weights * counts).sum())}


def hardware_description() -> str:
    """The processor, its cores and any accelerator the run trained on, for the model card."""
    import platform

    import keras

    cpuinfo = Path("/proc/cpuinfo")
    names = (
        [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if line.startswith("model name")]
        if cpuinfo.exists()
        else []
    )
    description = f"{names[0] if names else platform.processor()}, {os.cpu_count()} cores"
    accelerators = []
    if keras.backend.backend() == "jax":
        import jax

        accelerators = [device.device_kind for device in jax.devices() if device.platform != "cpu"]
    elif keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        accelerators = [device.name for device in tf.config.list_physical_devices("GPU")]
    return description + "".join(f" + {name}" for name in accelerators)


def main(argv=None) -> int:
    args = parse_args(argv)
    if not 0.0 <= args.distill <= 1.0:
        print(f"error: --distill is a share of each label, from 0 to 1 (got {args.distill})", file=sys.stderr)
        return 2
    if not 0.0 <= args.single_label_share <= 1.0:
        print(
            f"error: --single-label-share is a share of each target, from 0 to 1 (got {args.single_label_share})",
            file=sys.stderr,
        )
        return 2
    if not 0.0 < args.neutral_vote_weight < math.inf:
        print(
            f"error: --neutral-vote-weight must be a finite number above 0 (got {args.neutral_vote_weight})",
            file=sys.stderr,
        )
        return 2
    if args.neutral_vote_weight != 1.0 and args.targets == "majority":
        print("error: --neutral-vote-weight weighs vote shares; one-hot --targets majority has none", file=sys.stderr)
        return 2
    if args.teachers and args.teacher_readings:
        print("error: give --teachers (online) or --teacher-readings (offline), not both", file=sys.stderr)
        return 2
    if args.mixup and not args.teachers:
        print("error: --mixup needs --teachers: only teachers can say what a blend of two faces shows", file=sys.stderr)
        return 2
    missing = [teacher for teacher in args.teachers or () if not Path(teacher).is_file()]
    if missing:
        print(f"error: no such teacher weights: {', '.join(missing)}", file=sys.stderr)
        return 2
    if not 0.0 < args.keep_fine_tuned <= 1.0 or (args.keep_fine_tuned < 1.0 and not args.init_weights):
        print(
            f"error: --keep-fine-tuned is a share in (0, 1] of a fine-tune from --init-weights "
            f"(got {args.keep_fine_tuned})",
            file=sys.stderr,
        )
        return 2
    if args.logit_adjustment < 0:
        print(f"error: --logit-adjustment is a power of 0 or more (got {args.logit_adjustment})", file=sys.stderr)
        return 2
    if args.resume and args.time_budget_minutes > 0:
        # A budget replans the learning-rate decay from this session's pace; a resumed run must keep its plan.
        print("error: --resume runs exactly --epochs: give --time-budget-minutes 0 with it", file=sys.stderr)
        return 2
    if args.init_weights and not Path(args.init_weights).is_file():
        print(f"error: no such weights to start from: {args.init_weights}", file=sys.stderr)
        return 2
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    from .dataset import DatasetError, file_sha256, load_dataset, training_rows
    from .distill import (
        ReadingsError,
        distillation_loss,
        distilled_labels,
        faces_fingerprint,
        load_readings,
        online_distillation_trainer,
        student_accuracy,
    )
    from .evaluate import evaluate
    from .export import export
    from .inference import EmotionClassifier
    from .labels import EMOTIONS
    from .metrics import format_report
    from .model import (
        MIRROR_ONLY,
        KerasMirrorClassifier,
        TrainingAugmentation,
        adjust_for_prior,
        build_model,
        fastest_compute_policy,
    )
    from .model_card import CARD_NAME, write_card
    from .plots import plot_confusion_matrix, plot_training_curves
    from .preprocess import preprocess_faces
    from .schedule import KeepBest, ResumableRun, TimeBudget, Validation, WarmupCosineDecay

    if args.time_budget_minutes > 0 and keras.backend.backend() != "tensorflow":
        # Other backends compile the learning-rate schedule once, so a budget could not reshape it mid-run.
        print(
            "error: --time-budget-minutes needs the TensorFlow backend; on another backend give "
            "--epochs N --time-budget-minutes 0",
            file=sys.stderr,
        )
        return 2
    keras.utils.set_random_seed(args.seed)
    precision = fastest_compute_policy() if args.precision == "auto" else args.precision
    keras.mixed_precision.set_global_policy(precision)
    if args.threads and keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    started = time.time()
    output_dir = Path(args.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    resumable = None
    if args.resume:
        try:  # what may differ between the sessions of one run: the threads it has
            resumable = ResumableRun(
                output_dir / "resume", {key: value for key, value in vars(args).items() if key != "threads"}
            )
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        if resumable.epochs_done >= args.epochs:
            print(
                f"error: {output_dir} holds a finished run of {args.epochs} epochs: its net is there",
                file=sys.stderr,
            )
            return 2

    # --- data ---
    try:
        dataset = load_dataset(args.data)
    except DatasetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    needs_votes = {
        "--single-label-share": args.single_label_share,
        "--neutral-vote-weight": args.neutral_vote_weight != 1.0,
        "--logit-adjustment-prior votes": args.logit_adjustment_prior == "votes",
    }
    for option, given in needs_votes.items():
        if given and dataset.votes is None:
            print(f"error: {option} needs a FER+ file with votes; {args.data} has one label a face", file=sys.stderr)
            return 2
    # FER+: the taggers' votes are the target (faces they give none are left out) and validation reads their
    # majority label; FER2013: its single label for both.
    train, train_y = training_rows(
        dataset,
        args.train_usage,
        args.targets,
        min_votes=args.min_votes,
        single_label_share=args.single_label_share,
        neutral_vote_weight=args.neutral_vote_weight,
    )
    val_rows = dataset.subset(args.val_usage)
    val = val_rows.labelled()
    if not len(train) or not len(val):
        print(
            f"error: {args.data}: need rows with Usage {args.train_usage!r} and {args.val_usage!r} "
            f"(found {len(train)} and {len(val)})",
            file=sys.stderr,
        )
        return 2
    print(f"data: {len(train)} {args.train_usage} / {len(val)} {args.val_usage} faces from {args.data}", flush=True)
    if train.votes is not None:
        print(
            f"targets: FER+ votes, {args.targets}"
            + (f", neutral's votes weighed {args.neutral_vote_weight:g}" if args.neutral_vote_weight != 1.0 else "")
            + (f", {args.single_label_share:.0%} FER2013's own label" if args.single_label_share else "")
            + "; validation on the majority label (ties and contempt, unknown or not-a-face majorities left out)",
            flush=True,
        )
    train_x, val_x = preprocess_faces(train.faces), preprocess_faces(val.faces)
    if args.teacher_readings:
        try:
            readings = load_readings(args.teacher_readings, faces_fingerprint(train.faces, train.labels))
        except ReadingsError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        train_y = distilled_labels(train_y, readings, args.distill)
        print(f"labels: {1 - args.distill:.0%} the data's, {args.distill:.0%} the teachers' reading", flush=True)
    elif args.teachers:
        print(
            f"labels: {1 - args.distill:.0%} the data's, {args.distill:.0%} the reading of {len(args.teachers)} "
            f"teachers of each augmented face" + (f", mixup {args.mixup}" if args.mixup else ""),
            flush=True,
        )
    class_weight = balanced_class_weights(train_y.argmax(axis=1), args.class_balance) if args.class_balance else None

    # --- model ---
    widths = tuple(int(width) for width in args.widths.split(","))
    model = build_model(
        widths=widths, dense_units=args.dense_units, dropout=args.dropout, weight_decay=args.weight_decay
    )
    if args.init_weights:
        try:
            model.load_weights(args.init_weights)
        except ValueError as error:  # Keras names the first layer whose shape differs
            print(
                f"error: {args.init_weights} is not a net of --widths {args.widths} and --dense-units "
                f"{args.dense_units}: {error}",
                file=sys.stderr,
            )
            return 2
        print(f"starting from {args.init_weights}", flush=True)
    # Augmentation runs as the first layer of a training wrapper (on the accelerator where there is one);
    # the saved and served model is `model` alone.
    augmentation = TrainingAugmentation(
        **(MIRROR_ONLY if args.augment == "mirror" else {}),
        zoom=args.zoom,
        erasing_probability=args.random_erasing,
        seed=args.seed,
        dtype="float32",
        name="augment",
    )
    if args.teachers:  # the teachers' reading is computed in the graph, so the labels go in with the faces
        trainer = online_distillation_trainer(
            model, augmentation, args.teachers, share=args.distill, mixup_alpha=args.mixup, seed=args.seed
        )
        loss, accuracy = distillation_loss(args.label_smoothing), student_accuracy()
        train_inputs = [train_x, train_y]
    else:
        trainer = keras.Sequential([keras.Input(model.input_shape[1:]), augmentation, model], name="trainer")
        loss = keras.losses.CategoricalCrossentropy(label_smoothing=args.label_smoothing)
        accuracy, train_inputs = "accuracy", train_x
    steps_per_epoch = int(np.ceil(len(train_x) / args.batch_size))
    schedule = WarmupCosineDecay(
        args.learning_rate, warmup_steps=args.warmup_epochs * steps_per_epoch, total_steps=args.epochs * steps_per_epoch
    )
    use_ema = args.ema_momentum > 0
    optimizer = keras.optimizers.Adam(schedule, use_ema=use_ema, ema_momentum=args.ema_momentum)
    trainer.compile(optimizer=optimizer, loss=loss, metrics=[accuracy])
    model.summary(print_fn=lambda line, **_: print(line))

    # --- fit: one progress line per epoch; the best PublicTest epoch, read with the mirror TTA, is what we keep ---
    weights_path = output_dir / "emotion_cnn.keras"
    # With EMA on, validation and the checkpoint see the averaged weights (Polyak averaging: steadier and
    # usually better than the last step's weights).
    # A resumed run backs up the live weights before the average is swapped in, and records each epoch last.
    callbacks = [resumable.saver] if resumable else []
    if use_ema:
        callbacks.append(keras.callbacks.SwapEMAWeights(swap_on_epoch=True))
    callbacks.append(Validation(model, val_x, val.labels, label_smoothing=args.label_smoothing))
    monitor = "val_mirror_accuracy"
    best_so_far = resumable.best(monitor) if resumable else -np.inf
    callbacks.append(KeepBest(model, weights_path, monitor=monitor, best=best_so_far))
    if args.time_budget_minutes > 0:
        budget = TimeBudget(
            schedule,
            deadline=started + 60 * args.time_budget_minutes,
            steps_per_epoch=steps_per_epoch,
            max_epochs=args.epochs,
            min_epochs=args.warmup_epochs + 1,
        )
        callbacks.append(budget)
    initial_epoch = 0
    if resumable:
        callbacks.append(resumable.recorder)
        initial_epoch = resumable.restore(trainer)
        if initial_epoch:
            print(f"resuming after epoch {initial_epoch}/{args.epochs} from {resumable.directory}", flush=True)
    history = trainer.fit(
        train_inputs,
        train_y,
        batch_size=args.batch_size,
        epochs=args.epochs,
        initial_epoch=initial_epoch,
        shuffle=True,
        class_weight=class_weight,
        verbose=2,
        callbacks=callbacks,
    ).history
    fit_seconds = time.time() - started
    if resumable:  # every session's epochs, and the time they took
        history, fit_seconds = resumable.history, resumable.record["fit_seconds"]
    best_epoch, epochs_run = int(np.argmax(history[monitor])) + 1, len(history["val_accuracy"])
    if args.keep_fine_tuned < 1.0 or args.logit_adjustment:  # the kept epoch's weights, changed after the fit
        model.load_weights(weights_path)
        if args.keep_fine_tuned < 1.0:  # moved back towards the start's
            start = build_model(widths=widths, dense_units=args.dense_units)
            start.load_weights(args.init_weights)
            model.set_weights(
                [
                    args.keep_fine_tuned * tuned + (1.0 - args.keep_fine_tuned) * initial
                    for tuned, initial in zip(model.get_weights(), start.get_weights())
                ]
            )
            print(
                f"kept {args.keep_fine_tuned:.0%} of the fine-tune, {1 - args.keep_fine_tuned:.0%} of "
                f"{args.init_weights}",
                flush=True,
            )
        if args.logit_adjustment:  # readings less the class shares the net was taught
            prior_targets = train_y
            if args.logit_adjustment_prior == "votes":
                prior_targets = training_rows(dataset, args.train_usage, args.targets, min_votes=args.min_votes)[1]
            adjust_for_prior(model, prior_targets.mean(axis=0), args.logit_adjustment)
            print(
                f"readings divided by the training {args.logit_adjustment_prior}' class shares to the power "
                f"{args.logit_adjustment}",
                flush=True,
            )
        model.save(weights_path)

    # --- the served .tflite, and the kept checkpoint evaluated exactly as the website serves it ---
    # Exporting to TensorFlow Lite needs TensorFlow; on another backend the Keras model with the same mirror
    # TTA stands in, and `python -m ml.export` then `python -m ml.evaluate` give the served file and figure.
    tensorflow_backend = keras.backend.backend() == "tensorflow"
    served_path = export(weights_path) if tensorflow_backend else None  # beside the weights
    served = EmotionClassifier(weights_path) if tensorflow_backend else KerasMirrorClassifier(weights_path)
    report = evaluate(served, val_rows)  # FER+: its FER2013-label figure too
    print(format_report(report))
    wall_seconds = time.time() - started

    card = {
        "name": "emojify emotion CNN",
        "architecture": {
            "conv_layers": 5,
            "widths": list(widths),
            "dense_units": args.dense_units,
            "parameters": int(model.count_params()),
            "input": "48x48x1 grayscale in [0,1]",
            "test_time_augmentation": "mean softmax of face and its mirror image",
            "layers": [layer.name for layer in model.layers],
        },
        "labels": list(EMOTIONS),
        "data": {
            "file": str(args.data),
            "sha256": file_sha256(args.data) if Path(args.data).is_file() else None,
            "train_rows": len(train),
            "val_rows": len(val),
            "train_usage": args.train_usage,
            "val_usage": args.val_usage,
        },
        "training": {key: value for key, value in vars(args).items() if key not in ("data", "output_dir")}
        | {
            "precision": precision,
            "backend": keras.backend.backend(),
            "hardware": hardware_description(),
            "epochs_run": epochs_run,
            "best_epoch": best_epoch,
            "teachers_sha256": [file_sha256(teacher) for teacher in args.teachers or ()],
            "init_weights_sha256": file_sha256(args.init_weights) if args.init_weights else None,
            "fit_seconds": round(fit_seconds, 1),
            "wall_seconds": round(wall_seconds, 1),
        },
        "history": {key: [round(float(value), 4) for value in values] for key, values in history.items()},
        "evaluation": {
            "usage": args.val_usage,
            "served_precision": served.precision,
            "labels": "FER+ majority" if val.votes is not None else "single label",
            **report,
        },
    }
    write_card(output_dir / CARD_NAME, card)  # checked against ml.model_card.SCHEMA first
    plot_training_curves(
        history,
        output_dir / "training_curves.png",
        f"{args.val_usage} (moving-average weights)" if use_ema else args.val_usage,
    )
    plot_confusion_matrix(
        report["confusion_matrix"],
        output_dir / "confusion_matrix.png",
        f"{args.val_usage}: accuracy {report['accuracy']:.4f} (mirror TTA)",
    )
    written = (
        [weights_path.name]
        + ([served_path.name] if served_path else [])
        + [CARD_NAME, "training_curves.png", "confusion_matrix.png"]
    )
    print(f"wrote {', '.join(written)} to {output_dir}")
    if not served_path:
        print(f"no TensorFlow here: run `python -m ml.export --weights {weights_path}` where it is installed")
    print(f"best epoch {best_epoch}/{epochs_run}, wall time {wall_seconds / 60:.1f} min")
    print(f"accuracy={report['accuracy']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
