"""The avatar designer's words and form as issue 50 found them, through Django's test client: a new avatar's
default name, a visitor's My avatars, and the shirt's own text under its tile (picked by typing, without
JavaScript too)."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from avatars.models import SavedAvatar
from avatars.presets import preset

pytestmark = pytest.mark.django_db


def name_offered(client) -> str:
    page = client.get(reverse("avatars:create"), {"gender": "female"}).content.decode()
    return re.search(r'<input type="text" name="name" value="([^"]*)"', page)[1]


def test_a_new_avatar_is_offered_a_name_that_reads_in_a_sentence(client, owner):
    """ "My avatar" read "Make an emoji with My avatar", "My avatar feels…": the default is a name, numbered past
    the names already taken."""
    assert name_offered(client) == "Avatar 1"
    for name in ("Avatar 1", "Avatar 3"):
        SavedAvatar.objects.create(owner=owner, name=name, gender="female", **preset("female"))
    assert name_offered(client) == "Avatar 4"  # two avatars, and "Avatar 3" taken
    assert name_offered(Client()) == "Avatar 1"  # each person counts their own


def test_a_visitors_my_avatars_says_where_they_live_until_sign_up(client, owner):
    visitor = Client().get(reverse("avatars:list")).content.decode()
    assert "Your avatars live in this browser until you" in visitor
    assert f'<a href="{reverse("signup")}">sign up</a>' in visitor
    assert "live in this browser" not in client.get(reverse("avatars:list")).content.decode()  # signed in


def test_the_shirt_text_field_sits_right_after_its_tile():
    page = Client().get(reverse("avatars:create"), {"gender": "male", "all": "1"}).content.decode()
    assert page.count('name="shirt_text"') == 1
    own_text, field, next_tile = (
        page.index('value="CUSTOM_TEXT"'),
        page.index('name="shirt_text"'),
        page.index('value="DEER"'),
    )
    assert own_text < field < next_tile
    assert 'maxlength="12"' in page[field - 200 : field + 200] and "Up to 12 characters" in page


def post_new_avatar(client, **fields):
    data = preset("male") | {"name": "Shirt", "gender": "male"} | fields
    response = client.post(reverse("avatars:create") + "?gender=male", data)
    assert response.status_code == 302, response.content.decode()[:500]
    return SavedAvatar.objects.latest("pk")


def test_text_typed_without_javascript_picks_your_own_text_and_the_graphic_shirt(client):
    avatar = post_new_avatar(client, shirt_text="Hola")
    assert (avatar.shirt_graphic, avatar.clothing, avatar.shirt_text) == ("CUSTOM_TEXT", "GRAPHIC_SHIRT", "Hola")
    # A graphic picked with it stays picked (the text waits for "Your own text").
    avatar = post_new_avatar(client, shirt_text="Hola", shirt_graphic="BAT")
    assert (avatar.shirt_graphic, avatar.clothing) == ("BAT", "GRAPHIC_SHIRT")
    # No text, nothing changes.
    assert post_new_avatar(client).shirt_graphic == "NONE"


def test_the_gender_step_loads_the_script_that_goes_on_at_a_tap():
    page = Client().get(reverse("avatars:create")).content.decode()
    assert re.search(r'<script src="/static/js/avatar_form\.js', page)
