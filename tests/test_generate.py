"""POST /api/emoji (the generate view) and the pages around it, through Django's test client."""

import io
import json
from xml.etree import ElementTree

import pytest
from django.urls import reverse
from PIL import Image

from avatars.models import SavedAvatar, share_query
from avatars.presets import preset
from avatars.rendering import render_png, render_svg
from ml.labels import EMOTIONS
from testkit import images

URL = "/api/emoji"


def upload(picture, name="frame.jpg"):
    data = io.BytesIO(images.encode(picture, ".png" if name.endswith(".png") else ".jpg"))
    data.name = name
    return data


@pytest.mark.django_db
def test_saved_avatar_png_with_emotion_header(client, owner):
    avatar = SavedAvatar.objects.create(owner=owner, name="P", gender="female", **preset("female"))
    response = client.post(URL, {"image": upload(images.webcam_frame()), "avatar": avatar.pk, "size": 300})
    assert response.status_code == 200
    assert response["X-Emotion"] == "happy" and 0 < float(response["X-Confidence"]) <= 1
    reading = dict(pair.split("=") for pair in response["X-Probabilities"].split(","))
    assert list(reading) == list(EMOTIONS) and max(reading, key=lambda emotion: float(reading[emotion])) == "happy"
    assert float(reading["happy"]) == pytest.approx(float(response["X-Confidence"]), abs=1e-4)
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="emoji-happy.png"'
    assert response.content == render_png(avatar.look, "happy", 300)
    assert Image.open(io.BytesIO(response.content)).size == (300, 300)


@pytest.mark.django_db
def test_attribute_fields_svg(client):
    response = client.post(
        URL,
        {
            "image": upload(images.astronaut_bgr()),
            "format": "svg",
            "gender": "male",
            "top": "HIJAB",
            "hat_color": "RED",
        },
    )
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert response["Content-Disposition"] == 'attachment; filename="emoji-happy.svg"'
    look = preset("male") | {"top": "HIJAB", "hat_color": "RED"}
    assert response.content.decode() == render_svg(look, "happy")
    ElementTree.fromstring(response.content)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields, status, message",
    [
        ({"avatar": "12345"}, 404, "no saved avatar"),
        ({"avatar": "abc"}, 404, "no saved avatar"),
        ({"format": "gif"}, 400, "format"),
        ({"size": "64"}, 400, "size"),
        ({"size": "big"}, 400, "size"),
        ({"skin_color": "PURPLE"}, 400, "skin_color"),
    ],
)
def test_bad_fields(client, fields, status, message):
    response = client.post(URL, {"image": upload(images.webcam_frame()), **fields})
    assert response.status_code == status
    assert message in response.json()["error"]


@pytest.mark.django_db
def test_no_face_is_a_clear_422(client):
    response = client.post(URL, {"image": upload(images.noise())})
    assert response.status_code == 422 and "no face found" in response.json()["error"]


@pytest.mark.django_db
def test_missing_image_and_get(client):
    assert client.post(URL, {"format": "png"}).status_code == 400
    assert client.get(URL).status_code == 405


@pytest.mark.django_db
def test_pages_render(client, owner):
    avatar = SavedAvatar.objects.create(owner=owner, name="Pages", gender="male", **preset("male"))
    home = client.get("/")
    assert home.status_code == 200 and b"Pages" in home.content and b"How well it sees" in home.content
    generate = client.get(reverse("generate", args=[avatar.pk]))
    assert generate.status_code == 200 and b'id="camera"' in generate.content
    assert b"csrfmiddlewaretoken" in generate.content
    assert client.get(reverse("generate", args=[999])).status_code == 404
    assert client.get(reverse("emojify_photo")).status_code == 200
    assert client.get(reverse("avatars:list")).status_code == 200


@pytest.mark.django_db
def test_home_shows_the_card_of_the_configured_model(client, settings, tmp_path):
    card = {
        "evaluation": {
            "accuracy": 0.4321,
            "usage": "MyTest",
            "count": 12,
            "per_class": {"happy": {"recall": 0.9}, "fear": {"recall": 0.1}},
        }
    }
    (tmp_path / "model_card.json").write_text(json.dumps(card))
    settings.EMOJIFY_MODEL_PATH = str(tmp_path / "emotion_cnn.keras")
    page = client.get("/").content.decode()
    assert "Shown 12 faces it had never seen" in page and "<strong>43%</strong>" in page


@pytest.mark.django_db
def test_home_says_when_the_figure_is_agreement_with_ten_taggers(client, settings, tmp_path):
    card = {
        "evaluation": {
            "accuracy": 0.8512,
            "usage": "PublicTest",
            "count": 3370,
            "labels": "FER+ majority",
            "per_class": {"happy": {"recall": 0.9}, "fear": {"recall": 0.1}},
        }
    }
    (tmp_path / "model_card.json").write_text(json.dumps(card))
    settings.EMOJIFY_MODEL_PATH = str(tmp_path / "emotion_cnn.keras")
    page = client.get("/").content.decode()
    assert "each labelled by ten people" in page and "Shown 3370 faces it had never seen" in page
    assert "<strong>85%</strong>" in page and "most of those ten people saw" in page


@pytest.mark.django_db
def test_home_tells_how_well_it_sees_in_plain_words(client):
    """Issue 41: a visitor read jargon there (FER2013, FER+, CNN, the `fer` package); the figures stay the
    shipped model card's."""
    from ml.inference import DEFAULT_WEIGHTS

    card = json.loads(DEFAULT_WEIGHTS.with_name("model_card.json").read_text())
    page = client.get("/").content.decode()
    section = page[page.index("How well it sees") :]
    for jargon in ("FER2013", "FER+", "CNN", "<code>fer</code>", "held-out", "PublicTest"):
        assert jargon not in section, jargon
    assert f"<strong>{round(card['evaluation']['accuracy'] * 100)}%</strong>" in section
    for emotion, scores in card["evaluation"]["per_class"].items():
        assert f"<span>{emotion.capitalize()}</span> <strong>{round(scores['recall'] * 100)}%</strong>" in section
    portraits = card["real_photos"]["portraits-dev"]
    calibrated = portraits["calibration"]["ours_calibrated"]["accuracy"]
    assert f"<strong>{round(calibrated * 100)}%</strong>" in section[section.index('id="real-photo-figures"') :]


@pytest.mark.django_db
def test_home_leads_with_the_seven_expressions_and_a_sticker(client, owner):
    """A visitor first sees what they make (a sample avatar, or their newest), the model's figures below."""
    page = client.get("/").content.decode().replace("&amp;", "&")
    sample = share_query(preset("female"), "female")
    for emotion in EMOTIONS:
        assert f'src="/avatars/preview.svg?{sample}&emotion={emotion}"' in page
    assert f'src="/avatars/wave.gif?{sample}&size=256"' in page and "One avatar in the seven expressions" in page
    assert page.index('class="showcase"') < page.index("How well it sees")
    mine = SavedAvatar.objects.create(owner=owner, name="Ada", gender="male", **preset("male"))
    page = client.get("/").content.decode().replace("&amp;", "&")
    assert f'src="/avatars/preview.svg?{mine.share_query}&emotion=fear"' in page and "Ada in the seven" in page
