"""Avatar forms, saved avatars, the expression table, rendering and downloads."""

import io
import json
import re
import subprocess
import sys
import zipfile
from xml.etree import ElementTree

import pytest
import python_avatars as pa
from django.urls import reverse
from PIL import Image, ImageColor

from avatars.expressions import EXPRESSIONS
from avatars.forms import AvatarForm, LookForm
from avatars.models import ATTRIBUTES, SavedAvatar
from avatars.presets import preset
from avatars.rendering import SHIRT_TEXT_WIDTH, render_png, render_svg, render_webp
from avatars.vocabulary import ATTRIBUTE_ENUMS, SHIRT_TEXT_MAX_LENGTH
from emotions import FEELINGS
from ml.labels import EMOTIONS

LOOK = preset("male") | {"accessory": "SUNGLASSES", "facial_hair": "BEARD_LIGHT"}


# --- forms -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", list(ATTRIBUTE_ENUMS))
def test_each_invalid_value_is_a_form_error(field):
    form = AvatarForm(preset("female") | {"name": "Ann", "gender": "female", field: "NOT_A_MEMBER"})
    assert not form.is_valid()
    assert list(form.errors) == [field]


def test_invalid_gender_and_overlong_shirt_text_are_form_errors():
    form = AvatarForm(preset("female") | {"name": "Ann", "gender": "robot", "shirt_text": "x" * 40})
    assert not form.is_valid()
    assert set(form.errors) == {"gender", "shirt_text"}


def test_fields_are_python_avatars_argument_names_with_enum_member_values():
    import python_avatars

    form = LookForm({"top": "WINTER_HAT_1", "hair_color": "AUBURN"})
    assert form.is_valid(), form.errors
    assert set(form.look) == set(ATTRIBUTES)
    avatar_arguments = set(python_avatars.Avatar.__init__.__code__.co_varnames)
    assert set(ATTRIBUTES) <= avatar_arguments
    assert form.look["top"] == "WINTER_HAT_1"
    assert "<svg" in render_svg(form.look, "happy")  # a hat renders, not only hair


def test_gender_picks_preset_and_first_fields_but_hides_nothing(client):
    step_one = client.get(reverse("avatars:create"))
    assert step_one.status_code == 200 and b'name="gender"' in step_one.content
    for gender in ("male", "female"):
        page = client.get(reverse("avatars:create"), {"gender": gender})
        assert page.status_code == 200
        html = page.content.decode()
        for field in ATTRIBUTES:  # every option reachable for every gender
            assert f'name="{field}"' in html
        first, more = html.split('id="more-options"')
        assert ('name="facial_hair"' in first) == (gender == "male")
        selected_top = re.search(r'name="top" value="(\w+)"[^>]* checked>', html).group(1)
        assert selected_top == preset(gender)["top"]
    all_options = client.get(reverse("avatars:create"), {"gender": "female", "all": "1"}).content.decode()
    assert '<details id="more-options" open>' in all_options
    assert client.get(reverse("avatars:create"), {"gender": "dragon"}).status_code == 400


# --- saved avatars ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_list_edit_duplicate_delete(client):
    data = preset("female") | {"name": "Ada", "gender": "female", "top": "BOB", "shirt_text": "hi"}
    created = client.post(reverse("avatars:create") + "?gender=female", data)
    avatar = SavedAvatar.objects.get()
    assert created.status_code == 302 and created["Location"] == reverse("generate", args=[avatar.pk])
    assert avatar.top == "BOB" and avatar.look["top"] == "BOB"
    assert b"Ada" in client.get(reverse("avatars:list")).content

    bad = client.post(reverse("avatars:edit", args=[avatar.pk]), data | {"skin_color": "GREEN"})
    assert bad.status_code == 200 and b"Select a valid choice" in bad.content
    avatar.refresh_from_db()
    assert avatar.skin_color == preset("female")["skin_color"]  # nothing half-written

    client.post(reverse("avatars:edit", args=[avatar.pk]), data | {"skin_color": "DARK_BROWN"})
    avatar.refresh_from_db()
    assert avatar.skin_color == "DARK_BROWN"

    client.post(reverse("avatars:duplicate", args=[avatar.pk]))
    copy = SavedAvatar.objects.exclude(pk=avatar.pk).get()
    assert copy.look == avatar.look and copy.name == "Ada (copy)"
    # A copy of a copy is numbered, not "(copy) (copy)", and stays within the name's 60 characters.
    for name, expected in (
        ("Ada (copy)", "Ada (copy 2)"),
        ("Ada (copy 2)", "Ada (copy 3)"),
        ("x" * 60, "x" * 53 + " (copy)"),
    ):
        copy.name = name
        copy.save()
        client.post(reverse("avatars:duplicate", args=[copy.pk]))
        assert SavedAvatar.objects.latest("pk").name == expected
    long_copy = SavedAvatar.objects.latest("pk")
    client.post(reverse("avatars:duplicate", args=[long_copy.pk]))
    assert SavedAvatar.objects.latest("pk").name == "x" * 51 + " (copy 2)"
    SavedAvatar.objects.exclude(pk__in=[avatar.pk, copy.pk]).delete()

    client.post(reverse("avatars:delete", args=[copy.pk]))
    assert list(SavedAvatar.objects.values_list("pk", flat=True)) == [avatar.pk]
    assert client.get(reverse("avatars:edit", args=[copy.pk])).status_code == 404


@pytest.mark.django_db
def test_admin_lists_saved_avatars(admin_client):
    SavedAvatar.objects.create(name="Admin view", gender="male", **preset("male"))
    assert b"Admin view" in admin_client.get("/admin/avatars/savedavatar/").content


# --- the expression table and rendering ------------------------------------------------------------------


def test_table_covers_the_seven_emotions_with_distinct_faces():
    assert tuple(EXPRESSIONS) == EMOTIONS
    assert len(set(EXPRESSIONS.values())) == 7
    svgs = {render_svg(LOOK, emotion) for emotion in EMOTIONS}
    assert len(svgs) == 7


def test_svg_is_valid_square_xml_and_title_kept():
    svg = render_svg(LOOK, "sad")
    root = ElementTree.fromstring(svg)
    assert root.get("width") == root.get("height")
    assert "feeling sad" in svg


@pytest.mark.django_db
def test_sentences_name_feelings_in_the_words_people_write(client, owner):
    """ "Avatar feeling surprise" is no sentence: the titles (inline in the gallery, in every SVG and the pack) and
    the generate page's captions read emotions.FEELINGS."""
    titles = {emotion: ElementTree.fromstring(render_svg(LOOK, emotion)).findtext("{*}title") for emotion in EMOTIONS}
    assert titles["surprise"] == "Avatar feeling surprised"
    assert titles["fear"] == "Avatar feeling scared" and titles["disgust"] == "Avatar feeling disgusted"
    assert titles["happy"] == "Avatar feeling happy" and titles["neutral"] == "Avatar feeling neutral"
    avatar = SavedAvatar.objects.create(owner=owner, name="F", gender="male", **preset("male"))
    page = client.get(reverse("generate", args=[avatar.pk])).content.decode()
    feelings = re.search(r'<script id="feelings" type="application/json">(.*?)</script>', page)[1]
    assert json.loads(feelings) == FEELINGS  # generate.js's captions: "Your avatar feeling surprised."


def test_svg_is_byte_identical_across_processes():
    code = (
        "import sys, hashlib; sys.path.insert(0, '.'); from avatars.rendering import render_svg; "
        f"print(hashlib.sha256(render_svg({LOOK!r}, 'surprise').encode()).hexdigest())"
    )
    runs = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        for _ in range(2)
    }
    import hashlib

    assert runs == {hashlib.sha256(render_svg(LOOK, "surprise").encode()).hexdigest() + "\n"}


def test_two_avatars_share_no_ids_and_every_reference_resolves():
    first, second = render_svg(LOOK, "happy"), render_svg(preset("female"), "angry")
    ids = [set(re.findall(r'\bid="([^"]+)"', svg)) for svg in (first, second)]
    assert ids[0] and ids[1] and not ids[0] & ids[1]
    for svg, known in zip((first, second), ids):
        references = set(re.findall(r'(?:url\(#|href="#)([^)"]+)', svg))
        assert references <= known, references - known  # incl. the sunglasses lens gradient


def test_shirt_text_is_escaped_not_markup():
    look = LOOK | {
        "clothing": "GRAPHIC_SHIRT",
        "shirt_graphic": "CUSTOM_TEXT",
        "shirt_text": "</text><script>alert(1)</script>"[:12],
    }
    form = LookForm(look | {"shirt_text": "</text><script>alert(1)</script>"})
    assert not form.is_valid() and "shirt_text" in form.errors  # too long for the shirt
    assert "shirt_text" in LookForm(look | {"shirt_text": "a\x00b"}).errors  # NUL: refused by Django
    form = LookForm(look | {"shirt_text": "<script>\x07</"})
    assert form.is_valid(), form.errors
    assert form.look["shirt_text"] == "<script></"  # other control characters are dropped
    svg = render_svg(form.look, "happy")
    ElementTree.fromstring(svg)  # still well-formed
    assert "<script" not in svg and "&lt;script&gt;" in svg


def test_shirt_text_carries_no_inline_style_for_the_csp_to_refuse():
    """python-avatars writes style="text-anchor: …" on the text; the pages' CSP refuses inline styles (a console error
    on every gallery of such an avatar), and the text-anchor attribute does the same work."""
    svg = render_svg(LOOK | {"clothing": "GRAPHIC_SHIRT", "shirt_graphic": "CUSTOM_TEXT", "shirt_text": "Hi"}, "happy")
    (text,) = [element for element in ElementTree.fromstring(svg).iter() if element.tag.endswith("text")]
    assert "style" not in text.attrib and text.attrib["text-anchor"] == "middle"


@pytest.mark.parametrize("text", ["HELLO WORLD!", "WWWWWWWWWWWW"])
def test_shirt_text_of_any_allowed_length_fits_on_the_shirt(text):
    """The text's ink (what a render with it changes against one without) lies inside the shirt, clear of its
    edge in every row: 12 characters ran past the circle that clips the shirt, "HELLO WORLD!" showing as
    "ELLO WORL"."""
    import numpy as np

    assert len(text) == SHIRT_TEXT_MAX_LENGTH
    look = LOOK | {"clothing": "GRAPHIC_SHIRT", "shirt_graphic": "CUSTOM_TEXT", "clothing_color": "BLUE_02"}

    def pixels(shirt_text):
        return np.asarray(Image.open(io.BytesIO(render_png(look | {"shirt_text": shirt_text}, "happy", 512))), np.int16)

    plain, printed = pixels(""), pixels(text)
    ink = np.abs(printed - plain).max(axis=2) > 0
    shirt = np.abs(plain[..., :3] - ImageColor.getrgb(pa.ClothingColor.BLUE_02.value)).max(axis=2) <= 8
    rows = np.flatnonzero(ink.any(axis=1))
    assert rows.size >= 10, "the text is too small to read"
    for row in rows:
        columns, shirt_columns = np.flatnonzero(ink[row]), np.flatnonzero(shirt[row])
        assert shirt_columns.size, f"row {row} of the text is off the shirt"
        assert shirt_columns[0] + 4 <= columns[0] and columns[-1] <= shirt_columns[-1] - 4, f"cut off in row {row}"
    middle = rows[rows.size // 2]
    assert np.ptp(np.flatnonzero(ink[middle])) > 0.3 * np.ptp(np.flatnonzero(shirt[middle]))  # not shrunk away

    # Browsers draw Avenir with fonts of their own: the SVG gives them the same width to fill.
    def text_element(shirt_text):
        return ElementTree.fromstring(render_svg(look | {"shirt_text": shirt_text}, "happy")).find(".//{*}text")

    assert text_element(text).get("lengthAdjust") == "spacingAndGlyphs"
    assert text_element(text).get("text-anchor") == "middle"  # an attribute: the pages' CSP drops style="…"
    assert float(text_element(text).get("textLength")) <= SHIRT_TEXT_WIDTH
    assert float(text_element("Hi!").get("font-size")) == 28  # a short text keeps python-avatars' size


@pytest.mark.parametrize("size", [128, 512, 1024])
def test_png_is_square_with_alpha(size):
    image = Image.open(io.BytesIO(render_png(LOOK, "happy", size)))
    assert image.format == "PNG" and image.size == (size, size) and image.mode == "RGBA"
    assert image.getpixel((0, 0))[3] == 0  # outside the circle is transparent


@pytest.mark.parametrize(
    "changes, emotion",
    [
        ({"accessory": "WAYFARERS", "facial_hair": "BEARD_MEDIUM"}, "happy"),  # gradient lenses, beard mask
        ({"top": "SHORT_DREADS_2", "style": "TRANSPARENT"}, "angry"),
        ({"top": "HIJAB", "clothing": "GRAPHIC_SHIRT", "shirt_graphic": "SKULL"}, "surprise"),
        ({"top": "WINTER_HAT_4", "accessory": "KURT", "clothing": "OVERALL"}, "fear"),
    ],
)
def test_fast_png_path_draws_what_cairosvg_draws(changes, emotion):
    """Masks → clip paths and inlined <use> (raster.py) must not change the picture, only edge anti-aliasing."""
    import cairosvg
    import numpy as np

    from avatars.raster import rasterisable

    svg = render_svg(LOOK | changes, emotion)
    simplified = rasterisable(svg).decode()
    assert "<mask" not in simplified and "<use" not in simplified and "clip-path=" in simplified
    reference = Image.open(
        io.BytesIO(cairosvg.svg2png(bytestring=svg.encode(), output_width=256, output_height=256))
    ).convert("RGBA")
    fast = Image.open(io.BytesIO(render_png(LOOK | changes, emotion, 256)))
    difference = np.abs(np.asarray(reference, np.int16) - np.asarray(fast, np.int16)).max(axis=2)
    assert (difference > 48).mean() < 0.015, "more than edge pixels differ"
    assert np.median(difference) == 0


def test_png_size_bounds():
    for size in (127, 1025):
        with pytest.raises(ValueError):
            render_png(LOOK, "happy", size)


def test_webp_sticker_is_transparent():
    image = Image.open(io.BytesIO(render_webp(LOOK, "fear")))
    assert image.format == "WEBP" and image.size == (512, 512) and image.mode == "RGBA"
    assert image.getpixel((5, 5))[3] == 0


# --- downloads -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_download_headers_for_saved_and_shared_avatars(client, owner):
    avatar = SavedAvatar.objects.create(owner=owner, name="D", gender="male", **LOOK)
    png = client.get(reverse("avatars:emoji", args=[avatar.pk, "sad", "png"]), {"size": 256})
    assert png["Content-Type"] == "image/png"
    assert png["Content-Disposition"] == 'attachment; filename="emoji-sad.png"'
    assert Image.open(io.BytesIO(png.content)).size == (256, 256)
    svg = client.get(reverse("avatars:shared_emoji", args=["fear", "svg"]) + "?" + avatar.share_query)
    assert svg["Content-Type"] == "image/svg+xml"
    assert svg["Content-Disposition"] == 'attachment; filename="emoji-fear.svg"'
    assert svg.content.decode() == render_svg(LOOK, "fear")
    assert client.get(reverse("avatars:emoji", args=[avatar.pk, "sad", "png"]), {"size": 5000}).status_code == 400
    assert client.get(reverse("avatars:emoji", args=[avatar.pk, "sad", "gif"])).status_code == 400
    assert client.get(reverse("avatars:emoji", args=[avatar.pk, "bored", "png"])).status_code == 404
    mangled = client.get(reverse("avatars:shared_emoji", args=["sad", "png"]) + "?top=NOPE")
    # People open these addresses too: the site's error page, naming what was wrong.
    assert mangled.status_code == 400 and mangled["Content-Type"].startswith("text/html")
    assert "That request could not be read" in mangled.content.decode() and "NOPE" in mangled.content.decode()
    assert 'href="/"' in mangled.content.decode()  # the page has the site's navigation back home


@pytest.mark.django_db
def test_sticker_pack_zip(client, owner):
    avatar = SavedAvatar.objects.create(owner=owner, name="Z", gender="female", **preset("female"))
    response = client.get(reverse("avatars:stickers", args=[avatar.pk]))
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == 'attachment; filename="emoji-stickers.zip"'
    pack = zipfile.ZipFile(io.BytesIO(response.content))
    names = set(pack.namelist())
    for emotion in EMOTIONS:
        assert {f"png/emoji-{emotion}.png", f"svg/emoji-{emotion}.svg", f"whatsapp/emoji-{emotion}.webp"} <= names
        png = Image.open(io.BytesIO(pack.read(f"png/emoji-{emotion}.png")))
        assert png.size == (512, 512)
        webp_bytes = pack.read(f"whatsapp/emoji-{emotion}.webp")
        webp = Image.open(io.BytesIO(webp_bytes))
        assert webp.size == (512, 512) and webp.mode == "RGBA" and len(webp_bytes) <= 100 * 1024
        assert webp.getpixel((2, 2))[3] == 0
    tray = Image.open(io.BytesIO(pack.read("whatsapp/tray.png")))
    assert tray.size == (96, 96)
    assert len(names) == 7 * 3 + 1


@pytest.mark.django_db
def test_gallery_and_preview_pages(client, owner):
    avatar = SavedAvatar.objects.create(owner=owner, name="G", gender="male", **LOOK)
    gallery = client.get(reverse("avatars:gallery", args=[avatar.pk])).content.decode()
    assert gallery.count("<svg") == 7
    ids = re.findall(r'\bid="(av[0-9a-f]{10}-[^"]+)"', gallery)
    assert len(ids) == len(set(ids))  # seven avatars on one page, no id collisions
    shared = client.get(reverse("avatars:shared_gallery") + "?" + avatar.share_query)
    assert shared.status_code == 200 and shared.content.decode().count("<svg") == 7
    # A heading with its subject, saved or shared (a share link's page said "seven expressions").
    assert "<h1>Seven expressions of G</h1>" in gallery and "<title>Seven expressions of G · emojify</title>" in gallery
    assert "<h1>Seven expressions of this avatar</h1>" in shared.content.decode()
    preview = client.get(reverse("avatars:preview"), {"top": "BUN", "emotion": "happy"})
    assert preview["Content-Type"] == "image/svg+xml"
    assert client.get(reverse("avatars:preview"), {"emotion": "bored"}).status_code == 400


# --- caps and pages ------------------------------------------------------------------------------------------


def save_avatar(client, name="Mine"):
    return client.post(
        reverse("avatars:create") + "?gender=female", {"name": name, "gender": "female", **preset("female")}
    )


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["visitor", "account"])
def test_one_person_keeps_at_most_max_avatars(client, django_user_model, who):
    """One session saved 300 avatars in 2.4 s (issue 35): a visitor's session, and an account, keep 100."""
    from avatars.ownership import MAX_AVATARS

    if who == "account":
        client.force_login(django_user_model.objects.create_user("many", password="a long pass phrase 42"))
    assert save_avatar(client, "First").status_code == 302
    first = SavedAvatar.objects.get(name="First")
    owner = {"owner": first.owner, "visitor": first.visitor}
    SavedAvatar.objects.bulk_create(
        SavedAvatar(name=f"Avatar {index}", gender="female", **preset("female"), **owner)
        for index in range(MAX_AVATARS - 1)
    )
    refused = save_avatar(client, "One too many")
    assert refused.status_code == 200 and "You have 100 avatars" in refused.content.decode()
    duplicate = client.post(reverse("avatars:duplicate", args=[first.pk]), follow=True)
    assert "You have 100 avatars" in duplicate.content.decode()
    assert SavedAvatar.objects.count() == MAX_AVATARS
    client.post(reverse("avatars:delete", args=[first.pk]))
    assert save_avatar(client, "Room again").status_code == 302


@pytest.mark.django_db
def test_the_list_of_avatars_comes_in_pages(client):
    assert save_avatar(client, "Newest").status_code == 302
    visitor = SavedAvatar.objects.get().visitor
    SavedAvatar.objects.bulk_create(
        SavedAvatar(name=f"Older {index}", gender="female", visitor=visitor, **preset("female")) for index in range(29)
    )
    SavedAvatar.objects.exclude(name="Newest").update(updated="2026-01-01T00:00:00Z")  # update() skips auto_now
    first = client.get(reverse("avatars:list")).content.decode()
    second = client.get(reverse("avatars:list") + "?page=2").content.decode()
    assert first.count('class="card avatar-card"') == 24 and second.count('class="card avatar-card"') == 6
    assert "Newest" in first and "Page 1 of 2" in first and "?page=2" in first
    assert client.get(reverse("avatars:list") + "?page=9").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [True, False])
def test_a_missing_avatar_is_the_sites_own_404_page_even_with_debug_on(client, settings, debug):
    """`make dev` serves with DEBUG on: a deleted avatar's address is still a page for people, not Django's
    technical 404; the API keeps answering JSON."""
    settings.DEBUG = debug
    for url in ("/avatars/999999/edit/", "/generate/999999/", "/avatars/999999/gallery/"):
        response = client.get(url)
        page = response.content.decode()
        assert response.status_code == 404 and "Nothing here" in page, url
        assert "URLconf" not in page and "DEBUG = True" not in page, url
    assert client.post("/api/emoji", {"avatar": "999999"}).json()["error"]
