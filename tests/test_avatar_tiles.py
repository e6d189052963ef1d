"""The avatar form's picture tiles and swatches, the thumbnails behind them, and "Random"."""

import io
import re

import numpy as np
import pytest
import python_avatars as pa
from django.urls import reverse
from PIL import Image

from avatars.models import ATTRIBUTES, SavedAvatar
from avatars.presets import GENDERS, preset
from avatars.random_look import COSTUMES, EYE_SAFE_ACCESSORIES, random_look
from avatars.rendering import THUMBNAIL_PARTS, THUMBNAIL_SIZE, render_png, render_thumbnail
from avatars.vocabulary import ATTRIBUTE_ENUMS, COLOUR_ATTRIBUTES, label, member, member_names


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=float)


@pytest.mark.django_db
def test_every_part_is_a_radio_grid_of_thumbnails_of_this_avatar(client):
    html = client.get(reverse("avatars:create"), {"gender": "male", "hair_color": "RED"}).content.decode()
    for part in THUMBNAIL_PARTS:
        radios = re.findall(rf'<input type="radio" name="{part}" value="(\w+)"', html)
        assert radios == member_names(part)
        # Each tile: the current look (its red hair) wearing that option, lazy-loaded.
        tile = (
            re.search(
                rf'value="{radios[-1]}"[^>]*>\s*<img src="([^"]+)"[^>]*loading="lazy"', html.split(f'id="id_{part}"')[1]
            )
            .group(1)
            .replace("&amp;", "&")
        )
        assert tile.startswith(reverse("avatars:thumbnail", args=[part]))
        assert "hair_color=RED" in tile and f"{part}={radios[-1]}" in tile
    for attribute in COLOUR_ATTRIBUTES:  # colours are swatches of the enum's own colour
        first = member_names(attribute)[0]
        assert re.search(
            rf'name="{attribute}" value="{first}"[^>]*>\s*<svg class="swatch" '
            rf'[^>]*><rect [^>]*fill="{member(attribute, first).value}"',
            html,
        )


@pytest.mark.django_db
def test_thumbnail_shows_the_part_it_names(client):
    url = reverse("avatars:thumbnail", args=["accessory"])
    look = preset("female")
    plain = client.get(url, look | {"accessory": "NONE"})
    glasses = client.get(url, look | {"accessory": "ROUND"})
    assert plain["Content-Type"] == "image/png" and "max-age" in plain["Cache-Control"]
    assert Image.open(io.BytesIO(plain.content)).size == (THUMBNAIL_SIZE, THUMBNAIL_SIZE)
    assert np.abs(pixels(plain.content) - pixels(glasses.content)).mean() > 3
    # Cropped to the face: the glasses cover far more of the tile than of the whole avatar.
    whole = [pixels(render_png(look | {"accessory": name}, "happy", THUMBNAIL_SIZE)) for name in ("NONE", "ROUND")]
    assert np.abs(pixels(plain.content) - pixels(glasses.content)).mean() > 2 * np.abs(whole[0] - whole[1]).mean()
    assert client.get(reverse("avatars:thumbnail", args=["shirt_text"])).status_code == 404
    assert client.get(url, {"accessory": "MONOCLE"}).status_code == 400


def test_eye_safe_accessories_are_those_the_eyes_read_through():
    """The eyes change between two expressions; an accessory that hides them hides that change."""
    look = preset("female")

    def eye_change(accessory):
        happy, surprised = (
            pixels(render_png(look | {"accessory": accessory}, emotion, 280))[85:130, 80:200]
            for emotion in ("happy", "surprise")
        )
        return np.abs(happy - surprised).mean()

    bare = eye_change("NONE")
    readable = {name for name in member_names("accessory") if eye_change(name) > 0.75 * bare}
    assert readable == {accessory.name for accessory in EYE_SAFE_ACCESSORIES}


def test_random_never_hides_the_eyes_and_keeps_outfits_coherent():
    costume_pieces = {(name, piece.name) for costume in COSTUMES for name, piece in costume.items()}
    safe = {accessory.name for accessory in EYE_SAFE_ACCESSORIES}
    seen_accessories = set()
    for seed in range(3000):
        gender = GENDERS[seed % 3][0]
        look = random_look(gender, seed)
        assert set(look) == set(ATTRIBUTES)
        assert all(look[name] in member_names(name) for name in ATTRIBUTES if name != "shirt_text")
        assert look["accessory"] in safe
        seen_accessories.add(look["accessory"])
        pieces = {(name, look[name]) for name in ("top", "clothing", "facial_hair")} & costume_pieces
        if pieces:  # a costume piece comes with the rest of its costume
            costume = next(c for c in COSTUMES if pieces <= {(n, p.name) for n, p in c.items()})
            assert pieces == {(name, piece.name) for name, piece in costume.items()}
        assert (look["shirt_graphic"] != "NONE") == (look["clothing"] == "GRAPHIC_SHIRT")
        assert look["shirt_graphic"] != "CUSTOM_TEXT"
        assert look["clothing"] != pa.ClothingType.NONE.name  # always dressed
        assert look["facial_hair_color"] == look["hair_color"]
        if gender == "female":
            assert look["facial_hair"] == "NONE"
    assert seen_accessories == safe  # glasses do come up
    assert random_look("male", 7) == random_look("male", 7) != random_look("male", 8)


@pytest.mark.django_db
def test_random_json_and_the_no_javascript_random_link(client):
    look = client.get(reverse("avatars:random"), {"gender": "male", "seed": 42}).json()["look"]
    assert look == random_look("male", 42)
    for gender, _ in GENDERS:  # seed 8 was undressed for every gender: a new user met it
        seed_8 = client.get(reverse("avatars:random"), {"gender": gender, "seed": 8}).json()["look"]
        assert seed_8["clothing"] != pa.ClothingType.NONE.name
    # Errors read "field: message", as every other JSON error of the site, not Django's "* seed\n  * …" list.
    for query, error in (
        ({"seed": "x"}, "seed: Enter a whole number."),
        ({"seed": "99999999999999999999999"}, "seed: Ensure this value is less than or equal to 9223372036854775807."),
        (
            {"gender": "robot"},
            "gender: Select a valid choice. robot is not one of the available choices.; seed: This field is required.",
        ),
    ):
        response = client.get(reverse("avatars:random"), query)
        assert response.status_code == 400 and response.json() == {"error": error}
    page = client.get(reverse("avatars:create"), {"gender": "male", "random": 42}).content.decode()
    assert re.search(rf'name="top" value="{look["top"]}"[^>]* checked>', page)
    assert re.search(r'href="\?[^"]*random=\d+" class="button secondary" id="randomize"', page.replace("&amp;", "&"))


@pytest.mark.django_db
def test_tiles_post_like_any_form_and_edit_shows_the_saved_look(client):
    data = preset("female") | {
        "name": "Tiles",
        "gender": "female",
        "top": "BUN",
        "accessory": "ROUND",
        "skin_color": "BROWN",
    }
    response = client.post(reverse("avatars:create") + "?gender=female", data)
    avatar = SavedAvatar.objects.get()
    assert response.status_code == 302 and (avatar.top, avatar.accessory, avatar.skin_color) == (
        "BUN",
        "ROUND",
        "BROWN",
    )
    page = client.get(reverse("avatars:edit", args=[avatar.pk])).content.decode()
    assert re.search(r'name="top" value="BUN"[^>]* checked>', page)
    assert "top=BUN" in re.search(r'id="avatar-preview"[^>]*src="([^"]+)"', page, re.S).group(1)


def test_gender_step_shows_each_starting_avatar(client):
    html = client.get(reverse("avatars:create")).content.decode()
    for gender, gender_label in GENDERS:
        assert re.search(rf'value="{gender}"[^>]*>\s*<img src="[^"]*gender={gender}[^"]*"', html)
        assert gender_label in html


@pytest.mark.django_db
def test_shirt_graphic_tiles_show_each_graphic_on_the_graphic_shirt(client):
    """The look wears a scoop-neck top, where no graphic shows: the tiles are drawn on the graphic shirt, so every
    graphic's tile differs from every other's ("Your own text" with a sample text), and the field says so."""
    url = reverse("avatars:thumbnail", args=["shirt_graphic"])
    look = preset("female")
    assert look["clothing"] != "GRAPHIC_SHIRT"
    tiles = {
        name: pixels(client.get(url, look | {"shirt_graphic": name}).content) for name in member_names("shirt_graphic")
    }
    names = list(tiles)
    for index, name in enumerate(names):
        for other in names[index + 1 :]:
            assert np.abs(tiles[name] - tiles[other]).mean() > 1, (name, other)
    html = client.get(reverse("avatars:create"), {"gender": "female"}).content.decode()
    assert "Printed on the graphic shirt: picking a graphic puts it on." in html


@pytest.mark.django_db
def test_a_graphic_picked_without_javascript_is_worn_on_the_graphic_shirt(client):
    data = preset("female") | {"name": "Bat", "gender": "female", "shirt_graphic": "BAT"}
    client.post(reverse("avatars:create") + "?gender=female", data)
    assert (SavedAvatar.objects.get().clothing, SavedAvatar.objects.get().shirt_graphic) == ("GRAPHIC_SHIRT", "BAT")
    # A clothing picked in the same post is the person's choice: it stays.
    client.post(reverse("avatars:create") + "?gender=female", data | {"name": "Hoodie", "clothing": "HOODIE"})
    assert SavedAvatar.objects.get(name="Hoodie").clothing == "HOODIE"


@pytest.mark.parametrize(
    "top", [name for name in member_names("top") if name in pa.HairType.__members__ and name != "NONE"]
)
def test_every_hair_style_wears_the_hair_colour(top):
    """Its tile (cropped to the hair) changes with the colour: python-avatars draws "Shaved sides" and "Straight 2"
    in fixed colours, which avatars.rendering replaces."""
    red, black = (
        pixels(render_thumbnail(preset("female") | {"top": top, "hair_color": colour}, "top"))
        for colour in ("RED", "BLACK")
    )
    assert np.abs(red - black).mean() > 0.3


def test_labels_are_what_people_would_write():
    labels = [label(member) for enums in ATTRIBUTE_ENUMS.values() for enum in enums for member in enum]
    assert {"Bob with bangs", "Long", "Majestic beard", "Light blue", "Crew-neck T-shirt"} <= set(labels)
    assert [name for name in labels if re.search(r"magestic|wallace|not too long|\b0\d\b|_", name, re.I)] == []


@pytest.mark.django_db
def test_more_options_names_what_it_opens_and_hides_when_open(client):
    female = client.get(reverse("avatars:create"), {"gender": "female"}).content.decode()
    assert (
        "More options: background shape, background color, hat color, facial hair, facial hair color, "
        "shirt graphic, nose<"
        in female
        and 'id="all-options"' in female
    )
    male = client.get(reverse("avatars:create"), {"gender": "male"}).content.decode()
    assert (
        "More options: background shape, background color, hat color, shirt graphic, nose<" in male
    )  # his facial hair is open already
    everything = client.get(reverse("avatars:create"), {"gender": "female", "all": "1"}).content.decode()
    assert 'id="more-options" open' in everything and 'id="all-options"' not in everything


@pytest.mark.django_db
def test_the_migrations_match_the_models():
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
