"""Short share links, /s/<code> (issue 50): under 100 characters where the long form was 300–330, the same look
for anyone without an account, forever; the code is the look's hash, never an avatar's id; unknown codes are the
site's 404 page. Django's test client on the real database (SQLite, and PostgreSQL in `make test`'s second pass)."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from avatars.models import CODE_LENGTH, SavedAvatar, SharedLook, canonical_query, codes_of, share_query
from avatars.presets import preset

pytestmark = pytest.mark.django_db

# A look with every part away from the preset, and the shirt's own text: the long share link at its longest.
LOOK = preset("female") | {
    "top": "BUN",
    "hair_color": "RED",
    "accessory": "ROUND",
    "clothing": "GRAPHIC_SHIRT",
    "clothing_color": "PINK",
    "shirt_graphic": "CUSTOM_TEXT",
    "shirt_text": "Hi there",
    "background_color": "BLACK",
}
SHOWN_LINK = re.compile(r'<input type="text" id="share-url" class="share-url" value="([^"]+)" readonly>')
SHOWN_SHARE_URL = re.compile(r'data-share-url="([^"]+)"')
SVGS = re.compile(r"<svg.*?</svg>", re.S)


def shown_link(response) -> str:
    """The share link a gallery page shows in its field (and gives its Share buttons: the same one)."""
    page = response.content.decode()
    [link] = SHOWN_LINK.findall(page)
    assert SHOWN_SHARE_URL.search(page)[1] == link
    return link


def long_gallery(look: dict, gender: str) -> str:
    return f"{reverse('avatars:shared_gallery')}?{share_query(look, gender)}"


def test_the_gallery_shows_a_short_link_that_opens_the_same_look_for_anyone():
    maker = Client()
    long_url = long_gallery(LOOK, "female")
    page = maker.get(long_url)
    assert page.status_code == 200 and len("http://testserver" + long_url) > 300  # the long form still works
    link = shown_link(page)
    assert re.fullmatch(rf"http://testserver/s/[a-z2-7]{{{CODE_LENGTH}}}", link) and len(link) < 100

    stranger = Client()  # no session, no account
    opened = stranger.get(link)
    assert opened.status_code == 302
    gallery = stranger.get(opened["Location"])
    assert gallery.status_code == 200
    assert SVGS.findall(gallery.content.decode()) == SVGS.findall(page.content.decode())  # the seven, identical
    assert shown_link(gallery) == link  # the same look shows the same code again
    assert SharedLook.objects.count() == 1


def test_the_same_look_gets_the_same_code_and_another_look_another():
    first = SharedLook.of(LOOK, "female")
    assert SharedLook.of(dict(LOOK), "female") == first and SharedLook.objects.count() == 1
    assert first.code == next(codes_of(canonical_query(LOOK, "female")))  # the look's hash, nothing else
    assert SharedLook.of(LOOK | {"top": "BOB"}, "female").code != first.code
    # The gender is part of it: "Save this avatar" starts the form from it.
    assert SharedLook.of(LOOK, "male").code != first.code
    # Only what makes a look counts: an unknown gender is none, a missing part is the empty value.
    assert SharedLook.of(LOOK, "robot").code == SharedLook.of(LOOK, None).code


def test_a_saved_avatars_pages_show_a_short_link_that_outlives_the_avatar(client, owner):
    avatar = SavedAvatar.objects.create(owner=owner, name="Ada", gender="female", **LOOK)
    link = shown_link(client.get(reverse("avatars:gallery", args=[avatar.pk])))
    assert len(link) < 100
    # The generate page shares the same link with a made emoji.
    generate = client.get(reverse("generate", args=[avatar.pk])).content.decode()
    assert SHOWN_SHARE_URL.search(generate)[1] == link
    # The code tells nothing of the avatar: anyone's same look has it.
    assert link.endswith("/s/" + SharedLook.of(LOOK, "female").code)

    shared_svgs = SVGS.findall(Client().get(link, follow=True).content.decode())
    avatar.top, avatar.hair_color = "SHORT_FLAT", "BLACK"
    avatar.save()
    assert shown_link(client.get(reverse("avatars:gallery", args=[avatar.pk]))) != link  # a new look, a new link
    avatar.delete()
    opened = Client().get(link, follow=True)
    assert opened.status_code == 200 and SVGS.findall(opened.content.decode()) == shared_svgs  # as it was shared


def test_codes_are_read_whatever_their_case():
    code = SharedLook.of(LOOK, "female").code
    assert Client().get(f"/s/{code.upper()}")["Location"] == Client().get(f"/s/{code}")["Location"]


@pytest.mark.parametrize("code", ["aaaaaaaaaa", "a", "x" * 300, "s%20p", "%E2%9C%93"])
def test_an_unknown_code_is_the_sites_own_404_page(code):
    SharedLook.of(LOOK, "female")
    response = Client().get(f"/s/{code}")
    assert response.status_code == 404
    assert "<h1>Nothing here</h1>" in response.content.decode()  # templates/404.html, not Django's


def test_a_code_another_look_holds_gives_a_longer_code_of_the_same_hash():
    query = canonical_query(LOOK, "female")
    first, longer = list(codes_of(query))[:2]
    SharedLook.objects.create(code=first, query="gender=male")  # as if another look had hashed alike
    shared = SharedLook.of(LOOK, "female")
    assert shared.code == longer and SharedLook.of(LOOK, "female") == shared
    assert Client().get(f"/s/{first}")["Location"].endswith("?gender=male")  # the other look keeps its link


def test_a_mangled_long_link_is_refused_and_makes_no_short_link():
    response = Client().get(f"{reverse('avatars:shared_gallery')}?top=NOPE")
    assert response.status_code == 400 and SharedLook.objects.count() == 0
