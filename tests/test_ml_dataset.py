"""Both dataset layouts, every malformed-input case, and the one preprocessing function."""

import gzip

import cv2
import numpy as np
import pytest

from ml.dataset import NO_LABEL, DatasetError, load_dataset, majority_labels, vote_targets
from ml.labels import EMOTIONS
from ml.preprocess import preprocess_face, preprocess_faces


def pixels(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (48, 48), dtype=np.uint8)


def csv_text(rows, header="emotion,pixels,Usage") -> str:
    lines = [header] + [f"{label},{' '.join(map(str, face.ravel()))},{usage}" for label, face, usage in rows]
    return "\n".join(lines) + "\n"


ROWS = [(3, pixels(1), "Training"), (0, pixels(2), "Training"), (6, pixels(3), "PublicTest")]


def test_csv_plain_and_gzip_give_the_same_rows(tmp_path):
    plain = tmp_path / "faces.csv"
    plain.write_text(csv_text(ROWS))
    packed = tmp_path / "faces.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    for path in (plain, packed):
        data = load_dataset(path)
        assert data.labels.tolist() == [3, 0, 6]
        assert data.usage.tolist() == ["Training", "Training", "PublicTest"]
        np.testing.assert_array_equal(data.faces[1], ROWS[1][1])
        assert len(data.subset("PublicTest")) == 1


def test_csv_without_usage_column_reads_every_row(tmp_path):
    path = tmp_path / "no_usage.csv"
    path.write_text(
        "emotion,pixels\n" + "\n".join(f"{label},{' '.join(map(str, face.ravel()))}" for label, face, _ in ROWS) + "\n"
    )
    data = load_dataset(path)
    assert len(data) == 3 and set(data.usage) == {""}


def test_image_folder_layout_with_and_without_split_folders(tmp_path):
    for split in ("train", "test"):
        for index, (label, face, _) in enumerate(ROWS):
            folder = tmp_path / "split" / split / EMOTIONS[label]
            folder.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(folder / f"{index}.png"), face)
    flat = tmp_path / "split" / "train"
    data = load_dataset(flat)
    assert sorted(data.labels.tolist()) == [0, 3, 6]
    both = load_dataset(tmp_path / "split")
    assert len(both) == 6 and sorted(set(both.usage)) == ["test", "train"]


def test_same_face_from_csv_and_from_png_preprocesses_identically(tmp_path):
    face = pixels(7)
    (tmp_path / "one.csv").write_text(csv_text([(4, face, "Training")]))
    folder = tmp_path / "folder" / "sad"
    folder.mkdir(parents=True)
    cv2.imwrite(str(folder / "face.png"), face)
    from_csv = preprocess_faces(load_dataset(tmp_path / "one.csv").faces)
    from_png = preprocess_faces(load_dataset(tmp_path / "folder").faces)
    assert from_csv.shape == (1, 48, 48, 1) and from_csv.dtype == np.float32
    np.testing.assert_array_equal(from_csv, from_png)


def test_preprocess_accepts_colour_and_any_size():
    colour = np.dstack([pixels(1)] * 3)
    np.testing.assert_array_equal(preprocess_face(colour), preprocess_face(pixels(1)))
    big = cv2.resize(pixels(2), (200, 200), interpolation=cv2.INTER_NEAREST)
    out = preprocess_face(big)
    assert out.shape == (48, 48, 1) and 0.0 <= out.min() and out.max() <= 1.0


FERPLUS_HEADER = "Usage,pixels,emotion,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF"


def ferplus_text(rows) -> str:
    """A FER+ file: (usage, face, FER2013 label or -1, ten vote counts) per row."""
    return (
        "\n".join(
            [FERPLUS_HEADER]
            + [
                f"{usage},{' '.join(map(str, face.ravel()))},{label},{','.join(map(str, votes))}"
                for usage, face, label, votes in rows
            ]
        )
        + "\n"
    )


#            neutral happy surprise sad anger disgust fear contempt unknown NF
FERPLUS_ROWS = [
    ("Training", pixels(1), 4, (6, 0, 0, 3, 1, 0, 0, 0, 0, 0)),  # FER2013 says sad, 6 of 10 neutral
    ("Training", pixels(2), -1, (0, 0, 4, 0, 0, 0, 4, 0, 2, 0)),  # a tie: surprise or fear
    ("Training", pixels(3), 3, (0, 0, 0, 0, 0, 0, 0, 0, 1, 9)),  # not a face
    ("PublicTest", pixels(4), 0, (1, 0, 0, 0, 2, 0, 0, 7, 0, 0)),  # most say contempt
    ("PublicTest", pixels(5), 3, (0, 10, 0, 0, 0, 0, 0, 0, 0, 0)),
]


def test_ferplus_file_is_labelled_by_the_taggers_majority_with_fer2013s_label_kept(tmp_path):
    path = tmp_path / "ferplus.csv"
    path.write_text(ferplus_text(FERPLUS_ROWS))
    data = load_dataset(path)
    neutral, sad, happy = (EMOTIONS.index(name) for name in ("neutral", "sad", "happy"))
    assert data.labels.tolist() == [neutral, NO_LABEL, NO_LABEL, NO_LABEL, happy]
    assert data.fer2013_labels.tolist() == [sad, NO_LABEL, 3, 0, 3]
    assert data.votes.shape == (5, 10) and data.votes[0].tolist() == list(FERPLUS_ROWS[0][3])
    np.testing.assert_array_equal(data.faces[3], FERPLUS_ROWS[3][1])
    assert data.labelled().labels.tolist() == [neutral, happy]  # ties, NF and contempt majorities left out
    public = data.subset("PublicTest")
    assert len(public) == 2 and public.votes.shape == (2, 10) and public.fer2013_labels.tolist() == [0, 3]


def test_vote_targets_drop_single_votes_and_answers_the_site_has_no_face_for():
    votes = np.array([row[3] for row in FERPLUS_ROWS])
    probability = vote_targets(votes)
    neutral, sad, angry = (EMOTIONS.index(name) for name in ("neutral", "sad", "angry"))
    expected = np.zeros(7)
    expected[[neutral, sad]] = [6 / 9, 3 / 9]  # anger's single vote is an outlier
    np.testing.assert_allclose(probability[0], expected, atol=1e-6)
    assert probability[1, EMOTIONS.index("surprise")] == probability[1, EMOTIONS.index("fear")] == 0.5
    assert probability[2].sum() == 0  # most taggers said not a face: no target
    assert probability[3, angry] == 1.0  # contempt's votes dropped, anger's two kept
    np.testing.assert_allclose(vote_targets(votes, min_votes=1)[0, angry], 0.1)
    majority = vote_targets(votes, "majority")
    assert majority.sum(axis=1).tolist() == [1, 0, 0, 0, 1] and majority[0, neutral] == 1
    assert majority_labels(votes).tolist() == [neutral, NO_LABEL, NO_LABEL, NO_LABEL, EMOTIONS.index("happy")]
    with pytest.raises(ValueError, match="unknown target mode"):
        vote_targets(votes, "crossentropy")


def test_single_label_share_blends_fer2013s_own_label_into_the_vote_targets_of_the_same_rows(tmp_path):
    from ml.dataset import training_rows

    path = tmp_path / "ferplus.csv"
    path.write_text(ferplus_text(FERPLUS_ROWS))
    data = load_dataset(path)
    rows, votes_only = training_rows(data, "Training")
    blended_rows, blended = training_rows(data, "Training", single_label_share=0.25)
    assert blended_rows.fer2013_labels.tolist() == rows.fer2013_labels.tolist() == [EMOTIONS.index("sad"), NO_LABEL]
    neutral, sad = EMOTIONS.index("neutral"), EMOTIONS.index("sad")
    np.testing.assert_allclose(blended[0, [neutral, sad]], [0.75 * 6 / 9, 0.75 * 3 / 9 + 0.25], atol=1e-6)
    np.testing.assert_allclose(blended[1], votes_only[1])  # no FER2013 label: the votes alone
    np.testing.assert_allclose(blended.sum(axis=1), 1.0, atol=1e-6)
    with pytest.raises(ValueError, match="single_label_share"):
        training_rows(data, "Training", single_label_share=1.5)


def test_neutral_vote_weight_moves_the_faces_some_taggers_called_an_expression_and_no_others(tmp_path):
    from ml.dataset import training_rows

    path = tmp_path / "ferplus.csv"
    path.write_text(ferplus_text([*FERPLUS_ROWS, ("Training", pixels(9), 6, (10, 0, 0, 0, 0, 0, 0, 0, 0, 0))]))
    data = load_dataset(path)
    _, votes_only = training_rows(data, "Training")
    rows, weighed = training_rows(data, "Training", neutral_vote_weight=0.5)
    assert len(rows) == len(votes_only) == 3
    neutral, sad = EMOTIONS.index("neutral"), EMOTIONS.index("sad")
    np.testing.assert_allclose(weighed[0, [neutral, sad]], [0.5, 0.5], atol=1e-6)  # 6 neutral, 3 sad → 3 : 3
    np.testing.assert_allclose(weighed[1], votes_only[1])  # no neutral votes: as the taggers said
    assert weighed[2, neutral] == votes_only[2, neutral] == 1.0  # all ten said neutral: still neutral
    np.testing.assert_allclose(weighed.sum(axis=1), 1.0, atol=1e-6)
    with pytest.raises(ValueError, match="neutral_vote_weight"):
        training_rows(data, "Training", neutral_vote_weight=0)


def test_malformed_ferplus_votes_name_file_and_line(tmp_path):
    path = tmp_path / "bad_votes.csv"
    path.write_text(ferplus_text([("Training", pixels(1), 3, (0, 10, 0, 0, 0, 0, 0, 0, 0, "x"))]))
    with pytest.raises(DatasetError, match=r"bad_votes.csv:2: FER\+ votes .* must be counts"):
        load_dataset(path)


ZEROS = " ".join(["0"] * 2304)


@pytest.mark.parametrize(
    "content, where, message",
    [
        ("", "", "empty file"),
        ("emotion,Usage\n3,Training\n", ":1", "missing column(s) pixels"),
        ("emotion,pixels,Usage\n3,1 2 3,Training\n", ":2", "expected 2304 pixel values (48×48), found 3"),
        (f"emotion,pixels,Usage\n3,{ZEROS},Training\n9,{ZEROS},Training\n", ":3", "unknown emotion label '9'"),
        (f"emotion,pixels,Usage\nhappy,{ZEROS},Training\n", ":2", "unknown emotion label 'happy'"),
        ("emotion,pixels,Usage\n3," + " ".join(["0"] * 2303 + ["256"]) + ",Training\n", ":2", "integers 0–255"),
        ("emotion,pixels,Usage\n3," + " ".join(["0"] * 2303 + ["x"]) + ",Training\n", ":2", "integers 0–255"),
        (f"emotion,pixels,Usage\n3,{ZEROS}\n", ":2", "expected 3 fields, found 2"),
        ("emotion,pixels,Usage\n", "", "no data rows"),
    ],
)
def test_malformed_csv_names_file_and_line(tmp_path, content, where, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(DatasetError) as error:
        load_dataset(path)
    assert str(error.value).startswith(f"{path}{where}: ")
    assert message in str(error.value)


def test_malformed_inputs_outside_csv(tmp_path):
    with pytest.raises(DatasetError, match="no such file"):
        load_dataset(tmp_path / "missing.csv")
    (tmp_path / "broken.csv.gz").write_bytes(b"\x1f\x8b" + b"not really gzip")
    with pytest.raises(DatasetError, match="broken.csv.gz"):
        load_dataset(tmp_path / "broken.csv.gz")
    (tmp_path / "empty_root").mkdir()
    with pytest.raises(DatasetError, match="no emotion folders"):
        load_dataset(tmp_path / "empty_root")
    folder = tmp_path / "images" / "happy"
    folder.mkdir(parents=True)
    (folder / "corrupt.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(DatasetError, match="corrupt.jpg: not a readable image"):
        load_dataset(tmp_path / "images")
