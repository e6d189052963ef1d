"""Training runs end to end on a tiny generated dataset; evaluation prints its contract line."""

import json
from pathlib import Path

import numpy as np
import pytest

from ml import evaluate, train
from ml.labels import EMOTIONS

# The small net the `trained` fixture makes, as students and fine-tunes of it must be.
STUDENT_NET = ["--batch-size", "32", "--widths", "8,16,16,32,32", "--dense-units", "32"]
# A smaller net still, for the runs that check an option's effect.
TINY_NET = ["--batch-size", "32", "--widths", "8,8,8,8,8", "--dense-units", "8"]


def run_train(data: Path, output_dir: Path, *flags) -> int:
    """`python -m ml.train --data DATA --output-dir OUTPUT_DIR FLAGS…`, in this process; its exit code. Each flag
    is passed as its str(), so a path can be given as it is."""
    return train.main(["--data", str(data), "--output-dir", str(output_dir), *map(str, flags)])


def synthetic_faces(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seven learnable classes: a bright bar at a class-specific angle on a noisy background."""
    import cv2

    rng = np.random.default_rng(seed)
    labels = np.arange(count) % len(EMOTIONS)
    faces = rng.integers(40, 90, (count, 48, 48)).astype(np.uint8)
    for face, label in zip(faces, labels):
        angle = np.pi * label / len(EMOTIONS)
        centre = np.array([24, 24]) + rng.integers(-3, 4, 2)
        offset = (18 * np.array([np.cos(angle), np.sin(angle)])).astype(int)
        cv2.line(face, tuple(map(int, centre - offset)), tuple(map(int, centre + offset)), 230, 4)
    return faces, labels


@pytest.fixture(scope="module")
def tiny_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "tiny.csv"
    faces, labels = synthetic_faces(420, seed=1)
    usage = ["Training"] * 350 + ["PublicTest"] * 70
    path.write_text(
        "emotion,pixels,Usage\n"
        + "\n".join(
            f"{label},{' '.join(map(str, face.ravel()))},{split}" for face, label, split in zip(faces, labels, usage)
        )
    )
    return path


@pytest.fixture(scope="module")
def trained(tiny_csv, tmp_path_factory):
    output = tmp_path_factory.mktemp("run")
    code = run_train(
        tiny_csv,
        output,
        *("--epochs", "6", *STUDENT_NET, "--warmup-epochs", "1", "--learning-rate", "3e-3"),
        *("--class-balance", "0.5"),  # the class_weight path; these classes are equal, so weights 1
        *("--ema-momentum", "0.9"),  # 66 steps: a short average, still the EMA code path
    )
    assert code == 0
    return output


def test_training_writes_weights_card_and_plots(trained, capsys):
    for name in ("emotion_cnn.keras", "model_card.json", "training_curves.png", "confusion_matrix.png"):
        assert (trained / name).stat().st_size > 0, name
    card = json.loads((trained / "model_card.json").read_text())
    assert card["architecture"]["conv_layers"] == 5
    assert len(card["data"]["sha256"]) == 64
    assert card["training"]["epochs"] == 6 and card["training"]["wall_seconds"] > 0
    assert set(card["evaluation"]["per_class"]) == set(EMOTIONS)
    assert np.array(card["evaluation"]["confusion_matrix"]).shape == (7, 7)
    assert np.array(card["evaluation"]["confusion_matrix"]).sum() == 70
    assert card["evaluation"]["served_precision"] == "dynamic_int8"  # measured as the site serves it


def test_training_loss_goes_down(trained):
    history = json.loads((trained / "model_card.json").read_text())["history"]
    assert history["loss"][-1] < history["loss"][0]
    assert max(history["val_accuracy"]) > 1 / len(EMOTIONS)  # better than chance on held-out rows


def test_the_kept_epoch_is_the_best_one_read_with_the_served_mirror_tta(trained, tiny_csv):
    from ml.dataset import load_dataset
    from ml.model import KerasMirrorClassifier
    from ml.preprocess import preprocess_faces

    card = json.loads((trained / "model_card.json").read_text())
    mirror = card["history"]["val_mirror_accuracy"]
    assert len(mirror) == len(card["history"]["val_accuracy"]) == 6
    assert card["training"]["best_epoch"] == int(np.argmax(mirror)) + 1
    held_out = load_dataset(tiny_csv).subset("PublicTest")
    kept, faces = KerasMirrorClassifier(trained / "emotion_cnn.keras"), preprocess_faces(held_out.faces)
    assert np.mean(kept.predict(faces).argmax(axis=1) == held_out.labels) == pytest.approx(max(mirror), abs=1e-4)
    single_view = kept.model.predict(faces, verbose=0).argmax(axis=1)  # also logged, for the curves
    assert np.mean(single_view == held_out.labels) == pytest.approx(
        card["history"]["val_accuracy"][card["training"]["best_epoch"] - 1], abs=1e-4
    )


def test_model_has_exactly_five_convolutions(trained):
    import keras

    import ml.model  # noqa: F401  (registers the custom layer)

    model = keras.models.load_model(trained / "emotion_cnn.keras", compile=False)
    assert sum(isinstance(layer, keras.layers.Conv2D) for layer in model.layers) == 5


@pytest.mark.parametrize("precision", ["dynamic_int8", "float32", "mixed_bfloat16"])  # the first is served
def test_served_classifier_computes_what_the_keras_model_computes(trained, precision):
    """Serving folds the batch norms, freezes the graph and (as served) quantises the weights to int8;
    the probabilities must stay those of the Keras model with its mirror image."""
    import keras

    from ml.inference import EmotionClassifier
    from ml.preprocess import preprocess_faces

    weights = trained / "emotion_cnn.keras"
    faces = preprocess_faces(synthetic_faces(21, seed=3)[0])
    model = keras.models.load_model(weights, compile=False)
    expected = (model.predict(faces, verbose=0) + model.predict(faces[:, :, ::-1], verbose=0)) / 2  # + mirror
    served = EmotionClassifier(weights, precision=precision).predict(faces)
    assert served.shape == (21, len(EMOTIONS))
    np.testing.assert_allclose(served, expected, atol=0.02)  # bfloat16 or int8 rounding only


def test_served_probabilities_of_a_face_do_not_depend_on_the_rest_of_the_batch(trained):
    """int8 activations are quantised per face, so a frame with two faces reads each one as if alone,
    whatever batch sizes the classifier was called with before."""
    from ml.inference import EmotionClassifier
    from ml.preprocess import preprocess_faces

    faces = preprocess_faces(synthetic_faces(9, seed=4)[0])
    # One bright pixel on black: after standardisation a spike ~48 σ high, whose activations dwarf the
    # other faces' — quantising with one scale for the whole batch would blur theirs.
    faces[4] = 0.0
    faces[4, 24, 24] = 1.0
    classifier = EmotionClassifier(trained / "emotion_cnn.keras", threads=1)
    together = classifier.predict(faces)
    alone = np.concatenate([classifier.predict(faces[index : index + 1]) for index in range(len(faces))])
    np.testing.assert_allclose(together, alone, atol=1e-6)
    np.testing.assert_allclose(classifier.predict(faces, batch_size=4), together, atol=1e-6)
    np.testing.assert_allclose(together.sum(axis=1), 1.0, atol=1e-5)


def test_evaluate_last_line_is_the_accuracy_contract(trained, tiny_csv, capsys):
    assert evaluate.main([str(tiny_csv), "--weights", str(trained / "emotion_cnn.keras")]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1].startswith("accuracy=") and len(lines[-1]) == len("accuracy=0.0000")
    assert "420 faces" in lines[0]  # no Usage filter: every row
    accuracy = float(lines[-1].split("=")[1])
    assert 0.0 <= accuracy <= 1.0


def test_evaluate_bad_input_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("emotion,pixels\n3,1 2\n")
    assert evaluate.main([str(bad)]) == 2
    assert "bad.csv:2" in capsys.readouterr().err


@pytest.fixture(scope="module")
def tiny_ferplus_csv(tmp_path_factory):
    """The synthetic faces in FER+'s layout: most of ten votes for the face's class, the rest spread; every
    tenth face's FER2013 label is wrong (as FER2013's single labels often are) and every seventh is unmatched."""
    from ml.dataset import FERPLUS_COLUMN_OF_EMOTION, FERPLUS_VOTES

    path = tmp_path_factory.mktemp("ferplus") / "tiny_ferplus.csv"
    faces, labels = synthetic_faces(280, seed=5)
    rng = np.random.default_rng(5)
    rows = []
    for index, (face, label) in enumerate(zip(faces, labels)):
        votes = np.zeros(len(FERPLUS_VOTES), int)
        votes[FERPLUS_COLUMN_OF_EMOTION[label]] = 7
        np.add.at(votes, rng.integers(0, len(FERPLUS_VOTES), 3), 1)
        fer2013 = -1 if index % 7 == 0 else (label + 1) % len(EMOTIONS) if index % 10 == 0 else label
        usage = "Training" if index < 224 else "PublicTest"
        rows.append(f"{usage},{' '.join(map(str, face.ravel()))},{fer2013},{','.join(map(str, votes))}")
    path.write_text(f"Usage,pixels,emotion,{','.join(FERPLUS_VOTES)}\n" + "\n".join(rows) + "\n")
    return path


def test_training_on_ferplus_votes_and_evaluating_against_their_majority(tiny_ferplus_csv, tmp_path, capsys):
    code = run_train(
        tiny_ferplus_csv, tmp_path, "--epochs", "3", *TINY_NET, "--warmup-epochs", "1", "--time-budget-minutes", "0"
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "targets: FER+ votes, probability" in out
    card = json.loads((tmp_path / "model_card.json").read_text())
    assert card["training"]["targets"] == "probability"
    assert card["data"]["train_rows"] == 224 and card["data"]["val_rows"] == 56  # no tie, no non-emotion here
    assert card["evaluation"]["labels"] == "FER+ majority"
    assert card["evaluation"]["fer2013_labels"]["count"] == 56 - 8  # 8 of the 56 have no FER2013 label

    assert (
        evaluate.main(
            [str(tiny_ferplus_csv), "--weights", str(tmp_path / "emotion_cnn.keras"), "--usage", "PublicTest"]
        )
        == 0
    )
    lines = capsys.readouterr().out.strip().splitlines()
    assert "labels: the FER+ taggers' majority; 0 of 56 faces left out" in lines[1]
    assert lines[-2].startswith("FER2013's single label, 48 faces: accuracy 0.")
    assert float(lines[-1].split("=")[1]) == pytest.approx(card["evaluation"]["accuracy"], abs=1e-4)


def test_teacher_readings_of_ferplus_rows_line_up_with_the_rows_training_keeps(tiny_ferplus_csv, tmp_path, capsys):
    """ml.distill reads exactly the FER+ rows ml.train keeps (those the votes give a target), so the readings'
    fingerprint matches and training takes them."""
    from ml import distill

    teacher = tmp_path / "teacher"
    tiny_run = [*TINY_NET, "--time-budget-minutes", "0"]
    assert run_train(tiny_ferplus_csv, teacher, "--epochs", "1", *tiny_run) == 0
    readings = tmp_path / "readings.npz"
    assert (
        distill.main(
            ["--teachers", str(teacher / "emotion_cnn.keras"), "--data", str(tiny_ferplus_csv), "--out", str(readings)]
        )
        == 0
    )
    student = tmp_path / "student"
    assert run_train(tiny_ferplus_csv, student, "--epochs", "1", "--teacher-readings", readings, *tiny_run) == 0
    assert "labels: 50% the data's, 50% the teachers' reading" in capsys.readouterr().out


def test_a_mirror_only_fine_tune_keeps_the_asked_share_of_itself(tiny_ferplus_csv, tmp_path, capsys):
    """--keep-fine-tuned 0.5 (WiSE-FT): every weight of the kept net lies half-way between the start's and the
    fine-tuned epoch's, so a weight that moved keeps only half its move, and one that did not stays put."""
    import keras

    import ml.model  # noqa: F401  (registers the custom layers)

    tiny_run = [*TINY_NET, "--time-budget-minutes", "0", "--augment", "mirror", "--zoom", "0", "--ema-momentum", "0"]
    tiny_run += ["--label-smoothing", "0"]
    start = tmp_path / "start"
    assert run_train(tiny_ferplus_csv, start, "--epochs", "1", *tiny_run) == 0
    tuned, halfway = tmp_path / "tuned", tmp_path / "halfway"
    fine_tune = ["--epochs", "2", "--init-weights", start / "emotion_cnn.keras", "--seed", "3", *tiny_run]
    assert run_train(tiny_ferplus_csv, tuned, *fine_tune) == 0
    assert run_train(tiny_ferplus_csv, halfway, *fine_tune, "--keep-fine-tuned", "0.5") == 0
    assert "kept 50% of the fine-tune, 50% of" in capsys.readouterr().out
    load = lambda run: keras.models.load_model(run / "emotion_cnn.keras", compile=False).get_weights()
    for initial, moved, kept in zip(load(start), load(tuned), load(halfway)):
        np.testing.assert_allclose(kept, (initial + moved) / 2, atol=2e-3)  # the same seed trains alike
    card = json.loads((halfway / "model_card.json").read_text())
    assert card["training"]["keep_fine_tuned"] == 0.5 and card["training"]["augment"] == "mirror"
    # A share of nothing: without --init-weights there is no start to move back towards.
    assert run_train(tiny_ferplus_csv, tmp_path, "--keep-fine-tuned", "0.5") == 2


def test_logit_adjustment_divides_each_reading_by_the_class_shares_to_its_power():
    """adjust_for_prior(model, prior, s) reads every face as the old reading / prior^s, renormalised."""
    from ml.model import adjust_for_prior, build_model

    model = build_model(widths=(4, 4, 4, 4, 4), dense_units=8)
    faces = np.random.default_rng(0).random((5, 48, 48, 1)).astype("float32")
    prior = np.array([0.09, 0.01, 0.03, 0.27, 0.14, 0.12, 0.34])
    before = model.predict(faces, verbose=0)
    adjust_for_prior(model, prior, 0.5)
    expected = before / np.sqrt(prior)
    np.testing.assert_allclose(model.predict(faces, verbose=0), expected / expected.sum(1, keepdims=True), rtol=1e-4)


# One epoch of a tiny net, mirror augmentation only: the end-to-end runs that check an option's effect.
TINY_MIRROR_RUN = ["--epochs", "1", *TINY_NET, "--time-budget-minutes", "0"]
TINY_MIRROR_RUN += ["--augment", "mirror", "--ema-momentum", "0"]


def last_bias(run: Path) -> np.ndarray:
    """The bias of the trained net's last (emotion) layer, where --logit-adjustment folds the prior in."""
    import keras

    import ml.model  # noqa: F401  (registers the custom layers)

    return keras.models.load_model(run / "emotion_cnn.keras").get_layer("emotion").get_weights()[1]


def refusal_without_votes(tiny_csv: Path, output_dir: Path, capsys, *options: str) -> str:
    """Trains on a FER2013 file (no votes) with `options`: asserts exit 2 and nothing written; returns stderr."""
    assert run_train(tiny_csv, output_dir, *TINY_MIRROR_RUN, *options) == 2
    assert not list(output_dir.glob("*"))  # no net, no card
    return capsys.readouterr().err


def test_training_with_logit_adjustment_shifts_the_kept_nets_last_bias_by_the_targets_log_shares(
    tiny_ferplus_csv, tmp_path, capsys
):
    from ml.dataset import load_dataset, training_rows

    assert run_train(tiny_ferplus_csv, tmp_path / "plain", *TINY_MIRROR_RUN) == 0
    assert run_train(tiny_ferplus_csv, tmp_path / "adjusted", *TINY_MIRROR_RUN, "--logit-adjustment", "1") == 0
    assert "class shares to the power 1.0" in capsys.readouterr().out
    shares = training_rows(load_dataset(tiny_ferplus_csv), "Training")[1].mean(axis=0)
    np.testing.assert_allclose(
        last_bias(tmp_path / "adjusted"), last_bias(tmp_path / "plain") - np.log(np.clip(shares, 1e-3, None)), atol=2e-3
    )
    assert json.loads((tmp_path / "adjusted" / "model_card.json").read_text())["training"]["logit_adjustment"] == 1.0


def test_logit_adjustment_can_divide_by_the_vote_shares_when_the_targets_are_fer2013s_label(
    tiny_ferplus_csv, tiny_csv, tmp_path, capsys
):
    """--logit-adjustment-prior votes: a net taught FER2013's label still has the taggers' prior taken out."""
    from ml.dataset import load_dataset, training_rows

    tiny_run = [*TINY_MIRROR_RUN, "--single-label-share", "1"]
    assert run_train(tiny_ferplus_csv, tmp_path / "plain", *tiny_run) == 0
    adjusted = ["--logit-adjustment", "1", "--logit-adjustment-prior", "votes"]
    assert run_train(tiny_ferplus_csv, tmp_path / "adjusted", *tiny_run, *adjusted) == 0
    assert "training votes' class shares to the power 1.0" in capsys.readouterr().out
    dataset = load_dataset(tiny_ferplus_csv)
    votes = training_rows(dataset, "Training")[1].mean(axis=0)
    single_labels = training_rows(dataset, "Training", single_label_share=1.0)[1].mean(axis=0)
    assert np.abs(np.log(votes / single_labels)).max() > 0.02  # the priors differ by far more than the tolerance
    np.testing.assert_allclose(
        last_bias(tmp_path / "adjusted"), last_bias(tmp_path / "plain") - np.log(np.clip(votes, 1e-3, None)), atol=2e-3
    )
    card = json.loads((tmp_path / "adjusted" / "model_card.json").read_text())
    assert card["training"]["logit_adjustment_prior"] == "votes"
    refused = refusal_without_votes(
        tiny_csv, tmp_path / "fer2013", capsys, "--logit-adjustment", "1", "--logit-adjustment-prior", "votes"
    )
    assert "--logit-adjustment-prior votes needs a FER+ file with votes" in refused


@pytest.mark.parametrize(
    "option, bad, logged, refusal",
    [
        ("--single-label-share", "-0.1", "50% FER2013's own label", "--single-label-share is a share"),
        (
            "--neutral-vote-weight",
            "0",
            "neutral's votes weighed 0.5",
            "--neutral-vote-weight must be a finite number above 0",
        ),
    ],
)
def test_a_vote_target_option_is_logged_recorded_and_refused_out_of_range_or_without_votes(
    option, bad, logged, refusal, tiny_ferplus_csv, tiny_csv, tmp_path, capsys
):
    assert run_train(tiny_ferplus_csv, tmp_path / "changed", *TINY_MIRROR_RUN, option, "0.5") == 0
    assert f"FER+ votes, probability, {logged}" in capsys.readouterr().out
    card = json.loads((tmp_path / "changed" / "model_card.json").read_text())
    assert card["training"][option.removeprefix("--").replace("-", "_")] == 0.5
    assert run_train(tiny_ferplus_csv, tmp_path / "bad", *TINY_MIRROR_RUN, option, bad) == 2
    assert refusal in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()
    refused = refusal_without_votes(tiny_csv, tmp_path / "fer2013", capsys, option, "0.5")
    assert f"{option} needs a FER+ file with votes" in refused


def test_neutral_vote_weight_is_refused_where_it_could_not_act(tiny_ferplus_csv, tmp_path, capsys):
    for weight, targets in (("inf", "probability"), ("nan", "probability"), ("0.5", "majority")):
        output = tmp_path / f"{weight}-{targets}"
        options = ["--neutral-vote-weight", weight, "--targets", targets]
        assert run_train(tiny_ferplus_csv, output, *TINY_MIRROR_RUN, *options) == 2
        assert "--neutral-vote-weight" in capsys.readouterr().err
        assert not output.exists()


def test_time_budget_plans_fewer_epochs_and_ends_the_decay_on_the_last(tiny_csv, tmp_path):
    """A budget too short for the asked epochs runs the warm-up plus one epoch, not all six."""
    code = run_train(
        tiny_csv,
        tmp_path,
        *("--epochs", "6", "--batch-size", "64", "--warmup-epochs", "1", "--widths", "8,8,8,8,8", "--dense-units", "8"),
        *("--time-budget-minutes", "0.0001"),
    )
    assert code == 0
    card = json.loads((tmp_path / "model_card.json").read_text())
    assert card["training"]["epochs_run"] == 2
    assert len(card["history"]["loss"]) == 2
    assert card["training"]["best_epoch"] <= 2


def test_warmup_cosine_schedule_follows_its_planned_length():
    from ml.schedule import WarmupCosineDecay

    schedule = WarmupCosineDecay(1e-3, warmup_steps=10, total_steps=110)
    assert float(schedule(0)) == pytest.approx(5e-5)
    assert float(schedule(10)) == pytest.approx(1e-3)
    assert float(schedule(60)) == pytest.approx(5e-4, rel=1e-4)  # half-way down the cosine
    assert float(schedule(110)) == pytest.approx(0.0, abs=1e-9)
    schedule.total_steps.assign(60.0)  # what TimeBudget does when the machine is slower than hoped
    assert float(schedule(35)) == pytest.approx(5e-4, rel=1e-4)
    assert float(schedule(60)) == pytest.approx(0.0, abs=1e-9)
    assert schedule.get_config() == {"peak": 1e-3, "warmup_steps": 10, "total_steps": 60}


def test_time_budget_plans_at_the_steady_pace_both_ways():
    from ml.schedule import TimeBudget, WarmupCosineDecay

    schedule = WarmupCosineDecay(1e-3, warmup_steps=100, total_steps=8000)
    budget = TimeBudget(schedule, deadline=1000.0, steps_per_epoch=100, max_epochs=100, min_epochs=2)
    budget.epoch_seconds = [20.0]
    assert budget.replan(1, now=100.0) and budget.epochs == 46  # 1 done + 900 s / 20 s
    assert float(schedule.total_steps) == 4600.0
    budget.epoch_seconds = [20.0, 10.0]  # the first epoch was slow from tracing: planned at 10 s
    assert budget.replan(2, now=110.0) and budget.epochs == 2 + 890 // 10
    assert float(schedule.total_steps) == 9100.0
    budget.epoch_seconds = [20.0, 10.0, 10.0, 10.0, 40.0]  # recent epochs slower: planned at their pace
    assert budget.replan(5, now=200.0) and budget.epochs == 5 + 800 // 20
    assert not budget.replan(5, now=200.0)  # nothing new: the plan stands
    budget.epoch_seconds = [20.0] + [10.0] * 20
    assert budget.replan(21, now=200.0) and budget.epochs == 100  # never beyond --epochs
    assert budget.replan(22, now=995.0) and budget.epochs == 22  # never below what already ran


@pytest.mark.parametrize(
    "flags, policy",
    [("fpu avx512f avx512_bf16 amx_bf16 amx_tile", "mixed_bfloat16"), ("fpu avx512f avx512_bf16", "float32")],
)
def test_bfloat16_only_where_the_cpu_has_amx(tmp_path, flags, policy):
    from ml.model import fastest_compute_policy

    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nflags\t\t: {flags}\n")
    assert fastest_compute_policy(cpuinfo) == policy
    assert fastest_compute_policy(tmp_path / "absent") == "float32"


@pytest.mark.parametrize("policy", ["float32", "mixed_bfloat16"])
def test_fused_batch_norm_trains_and_infers_like_the_stock_layer(policy):
    """The fused training kernel is a speed-up only: same outputs, same moving statistics (biased variance,
    as Keras keeps it), and inference through the stock path."""
    import keras
    import tensorflow as tf

    from ml.model import FusedBatchNormalization

    rng = np.random.default_rng(0)
    maps = tf.constant(rng.normal(2.0, 3.0, (4, 5, 5, 6)).astype(np.float32))  # 100 values a channel
    layers = {}
    for name, norm in (("fused", FusedBatchNormalization), ("stock", keras.layers.BatchNormalization)):
        layers[name] = norm(momentum=0.5, dtype=policy)
        layers[name].build(maps.shape)
        layers[name].gamma.assign(rng.uniform(0.5, 2.0, 6)), layers[name].beta.assign(rng.normal(0, 1, 6))
    layers["stock"].set_weights(layers["fused"].get_weights())
    trained = {name: layer(maps, training=True) for name, layer in layers.items()}
    compute_dtype = keras.mixed_precision.Policy(policy).compute_dtype
    assert trained["fused"].dtype == trained["stock"].dtype == compute_dtype
    tolerance = 1e-5 if policy == "float32" else 2e-2  # bfloat16 outputs: 8 bits of mantissa
    np.testing.assert_allclose(np.float32(trained["fused"]), np.float32(trained["stock"]), atol=tolerance)
    # The moving averages moved halfway to the batch's mean and biased variance (of the maps as the layer
    # sees them: rounded to its compute precision), in both layers.
    np.testing.assert_allclose(layers["fused"].moving_mean, layers["stock"].moving_mean, rtol=1e-5)
    np.testing.assert_allclose(layers["fused"].moving_variance, layers["stock"].moving_variance, rtol=1e-5)
    np.testing.assert_allclose(
        layers["fused"].moving_variance,
        0.5 + 0.5 * np.var(np.float32(tf.cast(maps, compute_dtype)), axis=(0, 1, 2)),
        rtol=1e-4,
    )
    np.testing.assert_allclose(
        np.float32(layers["fused"](maps, training=False)),
        np.float32(layers["stock"](maps, training=False)),
        atol=tolerance,
    )


def test_random_erasing_replaces_one_rectangle_of_a_face_with_the_given_probability():
    import keras

    from ml.model import random_erasing

    grey, seed = keras.ops.full([256, 48, 48, 1], 0.5), keras.random.SeedGenerator(0)
    erase = lambda probability: keras.ops.convert_to_numpy(random_erasing(grey, probability, seed)) != 0.5
    erased = erase(1.0)[..., 0]
    shares = erased.reshape(256, -1).mean(axis=1)
    assert shares.min() >= 0.015 and shares.max() <= 0.21  # 2–20% of the face, whole pixels
    for mask in erased[:32]:  # one filled rectangle: its bounding box holds nothing else
        rows, columns = np.nonzero(mask)
        box = (rows.max() - rows.min() + 1) * (columns.max() - columns.min() + 1)
        assert box - mask.sum() <= box * 0.02  # noise may repeat the grey level in a pixel or two
    assert not erase(0.0).any()
    some = erase(0.5).reshape(256, -1).any(axis=1).mean()
    assert 0.35 < some < 0.65


def test_training_augmentation_varies_faces_in_training_only():
    """The augmentation layer leaves faces alone at inference, and in training changes each face differently
    while keeping them in [0, 1] and the face still there (the mirror, warp and light keep most structure)."""
    import keras

    from ml.model import TrainingAugmentation

    faces, _ = synthetic_faces(64, seed=3)
    faces = (faces[..., None] / 255.0).astype(np.float32)
    augment = TrainingAugmentation(seed=0)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(augment(faces, training=False)), faces)
    first, second = (keras.ops.convert_to_numpy(augment(faces, training=True)) for _ in range(2))
    assert first.min() >= 0.0 and first.max() <= 1.0
    assert not np.allclose(first, second)  # a fresh draw each batch
    assert np.abs(first - faces).mean(axis=(1, 2, 3)).min() > 0.005  # every face changed
    # Still the same face: the augmented crop correlates with the original or its mirror image.
    correlation = [
        max(np.corrcoef(a.ravel(), f.ravel())[0, 1], np.corrcoef(a.ravel(), f[:, ::-1].ravel())[0, 1])
        for a, f in zip(first, faces)
    ]
    assert np.median(correlation) > 0.4


def test_class_balance_weighs_rare_classes_up_and_keeps_the_mean_row_weight_at_one():
    from ml.train import balanced_class_weights

    labels = np.array([0] * 10 + [1] * 40 + [3] * 50)  # classes 2, 4, 5, 6 have no rows
    for power in (0.5, 1.0):
        weights = balanced_class_weights(labels, power)
        assert set(weights) == set(range(len(EMOTIONS)))
        assert np.mean([weights[label] for label in labels]) == pytest.approx(1.0)
        assert weights[0] / weights[1] == pytest.approx(4.0**power)  # a quarter as frequent
    fully = balanced_class_weights(labels, 1.0)
    assert fully[0] * 10 == pytest.approx(fully[1] * 40) == pytest.approx(fully[3] * 50)  # each class weighs the same


def test_distillation_reads_the_training_faces_and_trains_on_the_mixed_labels(trained, tiny_csv, tmp_path, capsys):
    from ml import distill

    readings_path = tmp_path / "readings.npz"
    assert (
        distill.main(
            [
                "--teachers",
                str(trained / "emotion_cnn.keras"),
                str(trained / "emotion_cnn.keras"),
                "--data",
                str(tiny_csv),
                "--out",
                str(readings_path),
            ]
        )
        == 0
    )
    assert "the ensemble agrees with" in capsys.readouterr().out
    with np.load(readings_path) as saved:
        readings = saved["readings"]
    assert readings.shape == (350, len(EMOTIONS))  # one reading per Training row, none for PublicTest
    np.testing.assert_allclose(readings.sum(axis=1), 1.0, atol=1e-4)

    output = tmp_path / "student"
    distilled = ["--teacher-readings", readings_path, "--distill", "0.5"]
    assert run_train(tiny_csv, output, "--epochs", "2", *STUDENT_NET, *distilled) == 0
    assert "labels: 50% the data's, 50% the teachers' reading" in capsys.readouterr().out
    card = json.loads((output / "model_card.json").read_text())
    assert card["training"]["teacher_readings"] == str(readings_path) and card["training"]["distill"] == 0.5


def test_teacher_readings_of_other_faces_are_refused(trained, tiny_csv, tmp_path, capsys):
    from ml import distill

    readings_path = tmp_path / "public.npz"
    assert (
        distill.main(
            [
                "--teachers",
                str(trained / "emotion_cnn.keras"),
                "--data",
                str(tiny_csv),
                "--usage",
                "PublicTest",
                "--out",
                str(readings_path),
            ]
        )
        == 0
    )
    assert run_train(tiny_csv, tmp_path / "run", "--epochs", "1", "--teacher-readings", readings_path) == 2
    assert "computed on other faces" in capsys.readouterr().err
    not_readings = tmp_path / "faces.npz"
    not_readings.write_bytes(b"not a zip file")
    assert run_train(tiny_csv, tmp_path / "run", "--epochs", "1", "--teacher-readings", not_readings) == 2
    assert "not teacher readings written by `python -m ml.distill`" in capsys.readouterr().err
    distilled_too_far = ["--teacher-readings", readings_path, "--distill", "1.5"]
    assert run_train(tiny_csv, tmp_path / "run", "--epochs", "1", *distilled_too_far) == 2
    assert "--distill is a share of each label" in capsys.readouterr().err
    assert not (tmp_path / "run" / "emotion_cnn.keras").exists()


def test_distilled_labels_mix_one_hot_and_reading():
    from ml.distill import distilled_labels

    reading = np.full((2, len(EMOTIONS)), 1 / len(EMOTIONS), np.float32)
    mixed = distilled_labels(np.eye(len(EMOTIONS), dtype=np.float32)[[0, 3]], reading, 0.7)
    np.testing.assert_allclose(mixed.sum(axis=1), 1.0, rtol=1e-6)
    assert mixed[0, 0] == pytest.approx(0.3 + 0.7 / len(EMOTIONS)) and mixed[1, 0] == pytest.approx(0.1)


def test_online_distillation_trains_on_the_teachers_reading_of_each_augmented_face(trained, tiny_csv, tmp_path, capsys):
    teacher = trained / "emotion_cnn.keras"
    output = tmp_path / "student"
    online = ["--teachers", teacher, teacher, "--distill", "0.7", "--mixup", "0.4", "--random-erasing", "0.5"]
    assert run_train(tiny_csv, output, "--epochs", "2", *STUDENT_NET, *online) == 0
    out = capsys.readouterr().out
    assert "labels: 30% the data's, 70% the reading of 2 teachers of each augmented face, mixup 0.4" in out
    card = json.loads((output / "model_card.json").read_text())
    assert card["training"]["teachers"] == [str(teacher)] * 2 and card["training"]["mixup"] == 0.4
    from ml.dataset import file_sha256

    assert card["training"]["teachers_sha256"] == [file_sha256(teacher)] * 2
    assert len(card["history"]["val_accuracy"]) == 2 and 0 <= card["history"]["val_accuracy"][-1] <= 1
    # What is saved and served is the student alone: the teachers' weights are not in it.
    import keras

    student = keras.models.load_model(output / "emotion_cnn.keras", compile=False)
    assert [layer.name for layer in student.layers] == card["architecture"]["layers"]
    assert student.count_params() == card["architecture"]["parameters"]


def test_online_target_is_the_label_mixed_with_the_teachers_mean_reading_and_the_loss_compares_it(tmp_path):
    import keras

    from ml.distill import distillation_loss, online_distillation_trainer
    from ml.model import TrainingAugmentation, build_model

    rng = np.random.default_rng(0)
    faces = rng.random((5, 48, 48, 1)).astype(np.float32)
    labels = np.eye(len(EMOTIONS), dtype=np.float32)[[0, 1, 2, 3, 6]]
    teacher_paths, readings = [], []
    for index in range(2):
        teacher = build_model(widths=(4, 4, 4, 4, 4), dense_units=8)
        teacher.set_weights([rng.normal(0, 0.5, w.shape).astype(np.float32) for w in teacher.get_weights()])
        teacher_paths.append(tmp_path / f"teacher{index}.keras")
        teacher.save(teacher_paths[-1])
        readings.append(teacher.predict(faces, verbose=0))
    student = build_model(widths=(4, 4, 4, 4, 4), dense_units=8)
    trainer = online_distillation_trainer(student, TrainingAugmentation(), teacher_paths, share=0.7, mixup_alpha=0.4)
    output = keras.ops.convert_to_numpy(trainer([faces, labels], training=False))
    np.testing.assert_allclose(output[:, :7], student.predict(faces, verbose=0), atol=1e-5)
    target = 0.3 * labels + 0.7 * np.mean(readings, axis=0)
    np.testing.assert_allclose(output[:, 7:], target, atol=1e-5)
    assert not np.allclose(readings[0], readings[1])  # two different teachers, so the mean is a real mean
    assert trainer.trainable_weights and all(  # only the student learns
        any(w is v for v in student.trainable_weights) for w in trainer.trainable_weights
    )

    smoothed = target * 0.9 + 0.1 / 7
    expected = -np.sum(smoothed * np.log(output[:, :7]), axis=1)
    loss = keras.ops.convert_to_numpy(distillation_loss(0.1)(labels, output))
    np.testing.assert_allclose(loss, expected, rtol=1e-4)


def test_mixup_blends_faces_and_labels_with_one_weight_of_at_least_half():
    import keras

    from ml.distill import MixUp

    faces = np.stack([np.full((48, 48, 1), value, np.float32) for value in np.linspace(0, 1, 16)])
    labels = np.eye(len(EMOTIONS), dtype=np.float32)[np.arange(16) % 7]
    mixed_faces, mixed_labels = (
        keras.ops.convert_to_numpy(x) for x in MixUp(0.4, seed=1)([faces, labels], training=True)
    )
    assert not np.allclose(mixed_faces, faces)
    for face, label, original in zip(mixed_faces, mixed_labels, labels):
        assert np.ptp(face) < 1e-5  # a blend of two flat faces is flat
        assert label @ original >= 0.5 - 1e-6  # the face keeps its own label's majority
        assert label.sum() == pytest.approx(1.0)
    unchanged = MixUp(0.4)([faces, labels], training=False)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(unchanged[0]), faces)


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--mixup", "0.4"], "--mixup needs --teachers"),
        (["--teachers", "absent.keras"], "no such teacher weights: absent.keras"),
        (["--teachers", "absent.keras", "--teacher-readings", "readings.npz"], "not both"),
        (["--init-weights", "absent.keras"], "no such weights to start from: absent.keras"),
        (["--logit-adjustment", "-0.5"], "--logit-adjustment is a power of 0 or more"),
        (["--resume"], "--resume runs exactly --epochs: give --time-budget-minutes 0"),
    ],
)
def test_training_refuses_what_it_cannot_do_before_loading_data(arguments, message, tmp_path, capsys):
    assert run_train(tmp_path / "no-such.csv", tmp_path / "run", *arguments) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def conv_kernels(model) -> list[np.ndarray]:
    import keras

    return [keras.ops.convert_to_numpy(layer.kernel) for layer in model.layers if layer.name.endswith("_conv")]


def test_fine_tuning_starts_from_the_given_weights(trained, tiny_csv, tmp_path):
    import keras

    from ml.dataset import file_sha256

    start = trained / "emotion_cnn.keras"
    tiny_net = ["--epochs", "1", *STUDENT_NET, "--ema-momentum", "0"]
    # At a learning rate of zero no step moves a kernel, so the kernels kept are the ones the run began with.
    assert run_train(tiny_csv, tmp_path / "tuned", *tiny_net, "--learning-rate", "0", "--init-weights", start) == 0
    assert run_train(tiny_csv, tmp_path / "fresh", *tiny_net, "--learning-rate", "0") == 0
    started = conv_kernels(keras.models.load_model(start, compile=False))
    tuned = conv_kernels(keras.models.load_model(tmp_path / "tuned" / "emotion_cnn.keras", compile=False))
    fresh = conv_kernels(keras.models.load_model(tmp_path / "fresh" / "emotion_cnn.keras", compile=False))
    for kernel_started, kernel_tuned, kernel_fresh in zip(started, tuned, fresh, strict=True):
        np.testing.assert_array_equal(kernel_tuned, kernel_started)
        assert not np.allclose(kernel_fresh, kernel_started)  # without --init-weights: a random start
    card = json.loads((tmp_path / "tuned" / "model_card.json").read_text())
    assert card["training"]["init_weights"] == str(start)
    assert card["training"]["init_weights_sha256"] == file_sha256(start)


def test_fine_tuning_refuses_a_net_of_other_widths(trained, tiny_csv, tmp_path, capsys):
    other_widths = ["--widths", "8,16,16,32,64", "--dense-units", "32"]
    start = trained / "emotion_cnn.keras"
    assert run_train(tiny_csv, tmp_path / "run", "--epochs", "1", *other_widths, "--init-weights", start) == 2
    assert "is not a net of --widths 8,16,16,32,64 and --dense-units 32" in capsys.readouterr().err
    assert not (tmp_path / "run" / "emotion_cnn.keras").exists()


def test_a_resumed_run_goes_on_from_its_last_recorded_epoch_with_its_optimizer_state(tiny_csv, tmp_path, capsys):
    import h5py

    output = tmp_path / "run"

    def run(*extra, epochs=4):
        return run_train(
            tiny_csv,
            output,
            *("--epochs", epochs, "--time-budget-minutes", "0", "--learning-rate", "3e-3", "--ema-momentum", "0.9"),
            *("--resume", *STUDENT_NET, *extra),
        )

    assert run() == 0
    state = output / "resume"
    record = json.loads((state / "run.json").read_text())
    assert record["epochs_done"] == 4 and record["slot"] == "state-1.weights.h5"
    assert len(record["history"]["val_mirror_accuracy"]) == 4
    with h5py.File(state / "state-0.weights.h5") as saved:  # Adam's moments, step count and weight average
        assert "optimizer" in saved
    assert run() == 2  # a finished run is not trained again
    assert "holds a finished run of 4 epochs" in capsys.readouterr().err

    # A stop after epoch 4's state was written but before its record: the record still names epoch 3's slot,
    # which epoch 4 wrote beside, not over.
    record.update(epochs_done=3, slot="state-0.weights.h5")
    record["history"] = {key: values[:3] for key, values in record["history"].items()}
    (state / "run.json").write_text(json.dumps(record))
    first_losses = record["history"]["loss"]

    assert run() == 0
    assert "resuming after epoch 3/4" in capsys.readouterr().out
    record = json.loads((state / "run.json").read_text())
    assert record["epochs_done"] == 4 and record["history"]["loss"][:3] == first_losses
    # Restored weights and moments: the fourth epoch, at the cosine's tail, goes on from where the third ended;
    # a fresh net at that learning rate would stay near the first epoch's loss.
    assert record["history"]["loss"][3] < (first_losses[0] + first_losses[2]) / 2
    card = json.loads((output / "model_card.json").read_text())
    assert card["training"]["epochs_run"] == 4 and len(card["history"]["loss"]) == 4

    assert run(epochs=5) == 2  # other arguments: refused, the run left as it was
    assert "holds a run with other arguments (epochs)" in capsys.readouterr().err
    assert json.loads((state / "run.json").read_text()) == record
