"""The model card's one schema (ml.model_card): the shipped card matches it, writers refuse a card that does not,
bench/real_photos.py adds its figures through it, and the home page shows only a card whose shown parts match."""

import copy
import json

import pytest

from ml.inference import DEFAULT_WEIGHTS
from ml.model_card import CARD_NAME, ModelCardError, card_path, problems, read_card, write_card


def shipped_card() -> dict:
    return json.loads(card_path(DEFAULT_WEIGHTS).read_text())


def test_the_shipped_card_matches_the_schema():
    assert card_path(DEFAULT_WEIGHTS).name == CARD_NAME
    assert problems(shipped_card()) == []
    assert read_card(card_path(DEFAULT_WEIGHTS))["evaluation"]["count"] > 0


@pytest.mark.parametrize(
    "change, where",
    [
        (lambda card: card["evaluation"].pop("accuracy"), "card.evaluation: no 'accuracy'"),
        (lambda card: card["evaluation"].update(accuracy=67.9), "card.evaluation.accuracy: 67.9 is above 1"),
        (lambda card: card["evaluation"].update(count="3589"), "card.evaluation.count: expected integer, not str"),
        (lambda card: card["evaluation"]["per_class"].update(joy={"recall": 0.5}), "card.evaluation.per_class key"),
        (lambda card: card["real_photos"]["realfaces"].pop("ours"), "card.real_photos.realfaces: no 'ours'"),
        (lambda card: card.update(labels=["happy", "calm"]), "card.labels[1]: 'calm' is not one of"),
        (lambda card: card["evaluation"].update(count=True), "card.evaluation.count: expected integer, not bool"),
    ],
)
def test_a_card_that_breaks_the_schema_is_named_where(change, where, tmp_path):
    card = shipped_card()
    change(card)
    assert any(line.startswith(where) for line in problems(card)), problems(card)
    path = tmp_path / CARD_NAME
    with pytest.raises(ModelCardError, match="does not match"):
        write_card(path, card)
    assert not path.exists()  # nothing half-written


def test_written_cards_read_back_the_same(tmp_path):
    card = shipped_card()
    write_card(tmp_path / CARD_NAME, card)
    assert read_card(tmp_path / CARD_NAME) == card


def test_real_photo_figures_are_recorded_through_the_schema(tmp_path, settings, monkeypatch):
    import sys

    monkeypatch.syspath_prepend(str(settings.BASE_DIR / "bench"))
    from real_photos import record_in_card

    write_card(tmp_path / CARD_NAME, shipped_card())
    settings.EMOJIFY_MODEL_PATH = str(tmp_path / "emotion_cnn.keras")
    figures = copy.deepcopy(shipped_card()["real_photos"]["realfaces"]) | {"photos": 12}
    record_in_card("my-photos", figures)
    assert read_card(tmp_path / CARD_NAME)["real_photos"]["my-photos"]["photos"] == 12
    with pytest.raises(ModelCardError):
        record_in_card("broken", {"photos": 12})  # no `ours`
    assert "broken" not in read_card(tmp_path / CARD_NAME)["real_photos"]
    sys.modules.pop("real_photos", None)


@pytest.mark.django_db
def test_the_home_page_shows_no_figures_from_a_card_that_breaks_the_schema(client, settings, tmp_path):
    card = shipped_card()
    card["evaluation"]["accuracy"] = "68%"
    (tmp_path / CARD_NAME).write_text(json.dumps(card))
    settings.EMOJIFY_MODEL_PATH = str(tmp_path / "emotion_cnn.keras")
    page = client.get("/").content.decode()
    assert "No model card found" in page and "68%" not in page
