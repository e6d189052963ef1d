"""Animated emoji: POST /api/animation, the timeline behind it, `manage.py animate` and the gallery sample."""

import io
import json
import math
import re

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image

from avatars import animation, rendering
from avatars.models import SavedAvatar
from avatars.presets import preset
from avatars.vocabulary import member
from testkit.stickers import frames_of, tilt

URL = "/api/animation"
CHANGES = {"top": "SHORT_CURLY", "facial_hair": "BEARD_LIGHT"}
EMOTIONAL_LOOK = {"gender": "male"} | CHANGES  # as the API takes it: a gender preset and changes


def readings(*segments, rate=10):
    """[("happy", 1.5), ("surprise", 1.5)] → JSON readings at `rate` a second, as the generate page sends."""
    items, t = [], 0.0
    for emotion, seconds in segments:
        for _ in range(round(seconds * rate)):
            items.append({"t": round(t, 3), "emotion": emotion})
            t += 1 / rate
    return items


def post(client, **body):
    return client.post(URL, json.dumps(body), content_type="application/json")


def still(look, emotion, size, *, over_white=False, blink=False) -> np.ndarray:
    """The still PNG's picture (on the look's background: the circle), as a sticker frame at rest shows it."""
    picture = rendering.render_rgba(look, emotion, size, transparent=False, blink=blink)
    if over_white:  # GIF
        picture = Image.alpha_composite(Image.new("RGBA", picture.size, "white"), picture)
    return np.asarray(picture, np.float32)


def premultiplied(picture: np.ndarray) -> np.ndarray:
    """RGBA with each colour times its opacity: a lossy codec may change what colour a transparent pixel has."""
    return np.concatenate([picture[..., :3] * picture[..., 3:] / 255, picture[..., 3:]], axis=-1)


def blend_weight(picture: np.ndarray, start: np.ndarray, end: np.ndarray) -> float:
    """How far `picture` is from the `start` still towards the `end` one (0: start, 1: end), where those two
    differ (the face), with the stills moved down by the sink (breathing) that fits best."""
    rows, columns = np.nonzero(np.any(start != end, axis=2))
    box = np.s_[rows.min() : rows.max() + 1, columns.min() : columns.max() + 1]
    face = np.any(start[box] != end[box], axis=2)

    def colours(image):
        return premultiplied(image)[face]

    a, b = colours(start[box]), colours(end[box])
    fits = []
    for sink in range(round(animation.BREATH_DEPTH * picture.shape[0]) + 1):
        shifted = colours(picture[rows.min() + sink : rows.max() + 1 + sink, columns.min() : columns.max() + 1])
        weight = float(np.clip(np.sum((shifted - a) * (b - a)) / np.sum((b - a) ** 2), 0, 1))
        fits.append((float(np.abs(shifted - a - weight * (b - a)).mean()), weight))
    return min(fits)[1]


def nearer(picture: np.ndarray, expected: np.ndarray, other: np.ndarray) -> bool:
    """Whether `picture` is clearly `expected` rather than `other` (at most a quarter of the way to it)."""
    return blend_weight(picture, expected, other) < 0.25


def faces_over_time(frames) -> list[tuple[tuple, int]]:
    """The timeline's faces (expression, blend, blink) and how long each shows, whatever the avatar's movement."""
    faces = []
    for frame in frames:
        if faces and faces[-1][0] == frame.face:
            faces[-1] = (frame.face, faces[-1][1] + frame.duration_ms)
        else:
            faces.append((frame.face, frame.duration_ms))
    return faces


@pytest.mark.django_db
def test_saved_avatar_as_whatsapp_webp(client, owner):
    avatar = SavedAvatar.objects.create(owner=owner, name="A", gender="male", **(preset("male") | CHANGES))
    response = post(client, avatar=avatar.pk, frames=readings(("happy", 1.5), ("surprise", 1.5)))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert response["Content-Disposition"] == 'attachment; filename="emoji-animated.webp"'
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "WEBP" and image.size == (512, 512) and image.n_frames > 1
    assert len(response.content) <= 500 * 1024
    assert image.info.get("loop") == 0  # loops forever
    pictures, durations = frames_of(response.content)
    assert abs(sum(durations) - 3000) <= animation.FRAME_MS
    assert min(durations) >= 8 and sum(durations) <= 10_000
    assert len(pictures) >= 12  # a living sticker, not three stills

    # At rest the first frame is the still PNG, on its circle background; around the circle, transparent.
    happy, surprise = still(avatar.look, "happy", 512), still(avatar.look, "surprise", 512)
    assert np.abs(premultiplied(pictures[0]) - premultiplied(happy)).mean() < 2
    circle_edge = (292, 50)  # inside the circle, beside the shoulders: the background colour
    assert np.abs(pictures[0][circle_edge] - happy[circle_edge]).max() <= 3 and happy[circle_edge][3] == 255
    assert all(picture[0, 0, 3] == 0 for picture in pictures)
    # Happy first, surprise last: each nearer its own still render than the other expression's.
    assert nearer(pictures[0], happy, surprise) and nearer(pictures[-1], surprise, happy)
    # In between, a cross-fade of at least 0.25 s: frames blending the two faces.
    weights = [blend_weight(picture, happy, surprise) for picture in pictures]
    assert sum(duration for weight, duration in zip(weights, durations) if 0.1 < weight < 0.9) >= 250
    assert all(later > earlier - 0.05 for earlier, later in zip(weights, weights[1:]))  # one way, no flicker
    # Breathing: the avatar sinks a few pixels and rises again, the loop ending where it began.
    tops = [int(np.argmax(picture[..., 3].max(axis=1) > 128)) for picture in pictures]
    assert tops[0] == tops[-1] and 4 <= max(tops) - tops[0] <= 8


@pytest.mark.django_db
def test_look_as_gif_with_probabilities(client):
    def reading(t, top):
        probabilities = dict.fromkeys(animation.EMOTIONS, 0.05)
        probabilities[top] = 0.7
        return {"t": t, "probabilities": probabilities}

    frames = [reading(i / 8, "sad" if i < 16 else "angry") for i in range(32)]  # 8 readings/s, 4 s
    response = post(client, avatar=None, look=EMOTIONAL_LOOK, frames=frames, format="gif", size=200)
    assert response.status_code == 200 and response["Content-Type"] == "image/gif"
    assert response["Content-Disposition"] == 'attachment; filename="emoji-animated.gif"'
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "GIF" and image.size == (200, 200) and image.n_frames > 1
    pictures, durations = frames_of(response.content)
    assert abs(sum(durations) - 4000) <= animation.FRAME_MS
    look = preset("male") | CHANGES
    sad, angry = still(look, "sad", 200, over_white=True), still(look, "angry", 200, over_white=True)
    assert nearer(pictures[0], sad, angry) and nearer(pictures[-1], angry, sad)


@pytest.mark.django_db
@pytest.mark.parametrize("file_format", ["webp", "gif"])
def test_same_request_same_bytes(client, file_format):
    body = {
        "look": EMOTIONAL_LOOK,
        "frames": readings(("neutral", 0.5), ("fear", 1), ("happy", 0.5)),
        "format": file_format,
        "size": 512,
    }
    first = post(client, **body).content
    rendering._png.cache_clear()  # rendered afresh, not served from the cache
    rendering._svg.cache_clear()
    assert post(client, **body).content == first


@pytest.mark.django_db
def test_another_persons_avatar_is_404(client, owner, django_user_model):
    other = django_user_model.objects.create_user("other", password="another long pass 42")
    theirs = SavedAvatar.objects.create(owner=other, name="T", gender="female", **preset("female"))
    response = post(client, avatar=theirs.pk, frames=readings(("happy", 1)))
    assert response.status_code == 404 and response.json() == {"error": "no saved avatar with that id"}
    assert post(client, avatar=99999, frames=readings(("happy", 1))).status_code == 404


TWO = [{"t": 0, "emotion": "happy"}, {"t": 0.5, "emotion": "sad"}]


@pytest.mark.django_db
def test_a_body_far_bigger_than_120_readings_is_refused_before_it_is_parsed(client):
    """300,000 readings (6 MB of JSON) took 1.9 s to parse before being refused; now the length does it."""
    body = json.dumps({"frames": [{"t": index, "emotion": "happy"} for index in range(300_000)]})
    response = client.post(URL, body, content_type="application/json")
    assert response.status_code == 413 and response.json() == {"error": "request body is larger than 128 KB"}
    longest = {
        "look": EMOTIONAL_LOOK,
        "frames": [
            {
                "t": index / 12 + 0.123456789012345,
                "probabilities": {emotion: 1 / 7 + 1e-17 for emotion in animation.EMOTIONS},
            }
            for index in range(120)
        ],
    }
    assert len(json.dumps(longest)) < animation.MAX_REQUEST_BYTES / 2  # what a client sends fits easily


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body, message",
    [
        ({"look": {}}, "frames: give the readings"),
        ({"frames": "happy"}, "frames: must be a list"),
        ({"frames": TWO[:1]}, "1 reading: give 2 to 120"),
        ({"frames": readings(("happy", 12.1))}, "121 readings: give 2 to 120"),
        ({"frames": readings(("happy", 20)) + ["sad"]}, "201 readings: give 2 to 120"),  # counted before reading any
        ({"frames": [TWO[1], TWO[0]]}, "times must increase: frames[1].t = 0"),
        ({"frames": [TWO[0], TWO[0] | {"emotion": "sad"}]}, "times must increase"),
        ({"frames": [{"t": 0, "emotion": "happy"}, {"t": 11, "emotion": "sad"}]}, "the readings span 11.00 s (frames"),
        ({"frames": [{"t": 0, "emotion": "happy"}, {"t": 9.8, "emotion": "sad"}]}, "lasts 10.30 s (the readings span"),
        ({"frames": [{"t": 5, "emotion": "happy"}, {"t": 15.5, "emotion": "sad"}]}, "span 10.50 s"),
        ({"frames": readings(("happy", 10.5), rate=11)}, "at most 10 s"),
        ({"frames": [{"t": -1, "emotion": "happy"}, TWO[1]]}, "frames[0].t must be a number of seconds ≥ 0"),
        ({"frames": [{"t": "0", "emotion": "happy"}, TWO[1]]}, "frames[0].t must be a number"),
        ({"frames": [TWO[0], {"t": 10**400, "emotion": "sad"}]}, "frames[1].t must be a number"),  # no float holds it
        (
            {"frames": [TWO[0], {"t": 1, "probabilities": dict.fromkeys(animation.EMOTIONS, 10**400)}]},
            "frames[1].probabilities: the value for angry must be a number",
        ),
        ({"frames": [TWO[0], {"emotion": "sad"}]}, "frames[1].t must be a number"),
        ({"frames": [TWO[0], "sad"]}, "frames[1] must be an object"),
        ({"frames": [TWO[0], {"t": 1, "emotion": "bored"}]}, "frames[1].emotion: unknown emotion 'bored'"),
        ({"frames": [TWO[0], {"t": 1}]}, 'frames[1]: give either "emotion" or "probabilities"'),
        ({"frames": [TWO[0], {"t": 1, "emotion": "sad", "probabilities": {}}]}, "give either"),
        ({"frames": [TWO[0], {"t": 1, "mood": "sad"}]}, "frames[1]: unknown key(s) 'mood'"),
        ({"frames": [TWO[0], {"t": 1, "probabilities": {"happy": 1}}]}, "frames[1].probabilities: missing angry"),
        ({"frames": [TWO[0], {"t": 1, "probabilities": dict.fromkeys(animation.EMOTIONS, 0.5)}]}, "sum to 3.5"),
        ({"frames": [TWO[0], TWO[1] | {"roll": "12"}]}, "frames[1].roll must be a number of degrees from -180 to 180"),
        ({"frames": TWO, "format": "png"}, "format: Select a valid choice"),
        ({"frames": TWO, "format": "gif", "size": 64}, "size: Ensure this value is greater than or equal to 128"),
        ({"frames": TWO, "format": "gif", "size": 600}, "size: Ensure this value is less than or equal to 512"),
        ({"frames": TWO, "format": "gif", "size": "big"}, "size: Enter a whole number"),
        ({"frames": TWO, "size": 256}, "size: WhatsApp animated stickers are 512×512"),
        ({"frames": TWO, "look": "HIJAB"}, "look: must be an object"),
        ({"frames": TWO, "look": {"skin_color": "PURPLE"}}, "skin_color"),
    ],
)
def test_each_bad_request_is_a_400_saying_why(client, body, message):
    response = post(client, **body)
    assert response.status_code == 400
    assert message in response.json()["error"]


@pytest.mark.django_db
def test_bodies_that_are_not_a_json_object(client):
    assert "empty request body" in client.post(URL, b"", content_type="application/json").json()["error"]
    response = client.post(URL, b"{not json", content_type="application/json")
    assert response.status_code == 400 and "not valid JSON" in response.json()["error"]
    response = client.post(URL, b"[1, 2]", content_type="application/json")
    assert response.status_code == 400 and "must be an object" in response.json()["error"]
    assert client.get(URL).status_code == 405
    too_deep = b'{"frames": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"  # deeper than the JSON parser recurses
    response = client.post(URL, too_deep, content_type="application/json")
    assert response.status_code == 400 and "not valid JSON" in response.json()["error"]
    # The same as a form field (multipart), for each JSON field.
    for field in ("frames", "look"):
        response = client.post(
            URL,
            {field: "[" * 50_000 + "]" * 50_000, "frames": json.dumps(TWO)}
            if field == "look"
            else {"frames": "[" * 50_000 + "]" * 50_000},
        )
        assert response.status_code == 400 and field in response.json()["error"]


def test_times_count_from_the_first_reading():
    """A client may send its own clock: the animation starts at the first reading, gaps kept."""
    late = animation.parse_sequence([{"t": 1e16, "emotion": "happy"}, {"t": 1e16 + 2, "emotion": "sad"}])
    assert [reading.t for reading in late] == [0.0, 2.0]
    look = preset("male")
    assert animation.animate(look, late, "gif", 128) == animation.animate(
        look, animation.parse_sequence([{"t": 0, "emotion": "happy"}, {"t": 2, "emotion": "sad"}]), "gif", 128
    )


def test_one_odd_reading_does_not_flicker_and_changes_cross_fade():
    odd = animation.parse_sequence(readings(("happy", 1.5), ("sad", 0.1), ("happy", 1.4)))
    # Happy throughout, only blinking once (a steady face): the odd sad reading never shows.
    assert [face for face, _ in faces_over_time(animation.timeline(odd))] == [
        ("happy", "happy", 0.0, False),
        ("happy", "happy", 0.0, True),
        ("happy", "happy", 0.0, False),
    ]
    change = faces_over_time(animation.timeline(animation.parse_sequence(readings(("happy", 1), ("surprise", 1)))))
    # Five in-between faces of 50 ms: a 250-ms cross-fade.
    assert [(face[:3], duration) for face, duration in change] == [
        (("happy", "happy", 0.0), 1000),
        *((("happy", "surprise", pytest.approx(step / 6)), 50) for step in range(1, 6)),
        (("surprise", "surprise", 0.0), 750),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("accessory", ["NONE", "KURT"])  # Kurt's white glasses hide the eyes: a breath instead
def test_a_steady_face_still_gives_an_animated_sticker(client, accessory):
    """Record 3 s with a steady face gave a one-frame WebP (no ANIM/ANMF chunks) and a one-frame GIF: no
    animated sticker at all, then three frames (sad, blink, sad). The avatar breathes and blinks, in at least
    12 frames, within WhatsApp's limits."""
    look = EMOTIONAL_LOOK | {"accessory": accessory}
    steady = readings(("neutral", 3))
    webp = post(client, look=look, frames=steady, format="webp").content
    assert b"ANIM" in webp[:64] and webp.count(b"ANMF") >= 2 and len(webp) <= animation.WEBP_MAX_BYTES
    pictures, durations = frames_of(webp)
    assert len(pictures) >= 12 and abs(sum(durations) - 3000) <= animation.FRAME_MS and min(durations) >= 8
    gif = post(client, look=look, frames=steady, format="gif", size=256).content
    assert Image.open(io.BytesIO(gif)).n_frames >= 6
    full_look = preset("male") | CHANGES | {"accessory": accessory}
    open_eyes = still(full_look, "neutral", 512)
    if accessory == "NONE":  # some frames are the neutral face with its eyes closed
        closed = still(full_look, "neutral", 512, blink=True)
        assert nearer(pictures[0], open_eyes, closed) and nearer(pictures[-1], open_eyes, closed)
        assert any(nearer(picture, closed, open_eyes) for picture in pictures)
    assert all(np.abs(picture - open_eyes).mean() < 20 for picture in pictures)  # still the neutral face


def test_scripted_sequences():
    sequence = animation.scripted_sequence("happy:1,surprise:0.5")
    assert len(sequence) == 15 and sequence[10].t == pytest.approx(1.0)
    assert sum(frame.duration_ms for frame in animation.timeline(sequence)) == 1500
    for script, message in (
        ("happy", "write emotion:seconds"),
        ("bored:1", "unknown emotion 'bored'"),
        ("happy:0", "at least 0.1 s"),
        ("happy:11", "lasts 11.00 s"),
        ("happy:1e300", "at most 10 s"),
        ("happy:inf", "write emotion:seconds"),
    ):
        with pytest.raises(animation.SequenceError, match=message):
            animation.scripted_sequence(script)


@pytest.mark.django_db
def test_animate_command_writes_the_scripted_sequence(tmp_path, capsys):
    avatar = SavedAvatar.objects.create(name="C", gender="female", **preset("female"))
    out = tmp_path / "wave.webp"
    call_command("animate", "--avatar", str(avatar.pk), "--emotions", "happy:1,surprise:1,happy:1", "--out", str(out))
    last_line = capsys.readouterr().out.strip().splitlines()[-1]
    data = out.read_bytes()
    pictures, durations = frames_of(data)
    assert last_line == f"wrote {out}: {len(pictures)} frames, 3.00 s, {len(data) / 1024:.0f} KB"
    assert re.fullmatch(r"wrote .+: \d+ frames, \d+\.\d\d s, \d+ KB", last_line)  # the documented shape
    assert data == animation.animate(avatar.look, animation.scripted_sequence("happy:1,surprise:1,happy:1"))
    assert len(pictures) >= 12 and abs(sum(durations) - 3000) <= animation.FRAME_MS
    happy, surprise = still(avatar.look, "happy", 512), still(avatar.look, "surprise", 512)
    assert nearer(pictures[0], happy, surprise) and nearer(pictures[-1], happy, surprise)
    assert any(nearer(picture, surprise, happy) for picture in pictures)

    call_command("animate", "--emotions", "sad:0.5,angry:0.5", "--out", str(tmp_path / "a.gif"), "--size", "160")
    assert Image.open(tmp_path / "a.gif").size == (160, 160)
    for arguments, message in (
        (["--out", str(tmp_path / "a.png")], "must end in .webp or .gif"),
        (["--out", str(out), "--avatar", "9999"], "no saved avatar with id 9999"),
        (["--out", str(out), "--size", "256"], "512 for WebP"),
        (["--out", str(out), "--emotions", "happy:12"], "at most 10 s"),
    ):
        with pytest.raises(CommandError, match=message):
            call_command("animate", "--emotions", "happy:1", *arguments)


@pytest.mark.django_db
def test_gallery_wave_of_all_seven(client, owner, django_user_model):
    avatar = SavedAvatar.objects.create(owner=owner, name="W", gender="female", **preset("female"))
    page = client.get(f"/avatars/{avatar.pk}/gallery/").content.decode()
    wave_url = f"/avatars/{avatar.pk}/wave.webp"
    # Shown as the GIF (on the avatar's background, as the other cards); the WebP sticker is a link.
    assert f'src="/avatars/{avatar.pk}/wave.gif"' in page and f'href="{wave_url}"' in page
    response = client.get(wave_url)
    assert response.status_code == 200 and response["Content-Type"] == "image/webp"
    assert response["Content-Disposition"] == 'attachment; filename="emoji-wave.webp"'
    pictures, durations = frames_of(response.content)
    assert abs(sum(durations) - 7 * 600) <= animation.FRAME_MS
    # Every expression in turn: each of the seven stills is what some frame shows.
    stills = {emotion: still(avatar.look, emotion, 512) for emotion in animation.EMOTIONS}
    shown = [
        emotion
        for picture in pictures
        for emotion in stills
        if all(nearer(picture, stills[emotion], stills[other]) for other in stills if other != emotion)
    ]
    assert list(dict.fromkeys(shown)) == list(animation.EMOTIONS)

    shared = client.get(f"/avatars/wave.gif?{avatar.share_query}&size=160")
    assert shared.status_code == 200 and Image.open(io.BytesIO(shared.content)).size == (160, 160)
    # Around the avatar's circle the GIF is the page's own white: no grey square on the gallery's white card.
    assert Image.open(io.BytesIO(shared.content)).convert("RGB").getpixel((1, 1)) == (255, 255, 255)
    assert f'src="/avatars/wave.gif?{avatar.share_query}"' in client.get(
        f"/avatars/gallery/?{avatar.share_query}"
    ).content.decode().replace("&amp;", "&")
    assert client.get(f"/avatars/wave.webp?{avatar.share_query}&size=200").status_code == 400
    assert client.get(f"/avatars/wave.png?{avatar.share_query}").status_code == 400
    other = django_user_model.objects.create_user("other", password="another long pass 42")
    theirs = SavedAvatar.objects.create(owner=other, name="T", gender="male", **preset("male"))
    assert client.get(f"/avatars/{theirs.pk}/wave.webp").status_code == 404


def test_rapid_changes_are_held_so_a_request_stays_cheap():
    """Expressions switching every 0.2 s for 10 s: each shown face is held at least MIN_HOLD_FRAMES after
    its fade, and the animation has at most MAX_FRAMES distinct frames (sampled every 100 ms or more
    coarsely), not hundreds."""
    emotions = animation.EMOTIONS
    sequence = animation.parse_sequence([{"t": index * 0.2, "emotion": emotions[index % 7]} for index in range(50)])
    held = [duration for face, duration in faces_over_time(animation.steps(sequence)) if face[2] == 0][1:-1]
    assert held and all(duration >= animation.MIN_HOLD_FRAMES * animation.FRAME_MS for duration in held)
    frames = animation.timeline(sequence)
    assert len(frames) <= animation.MAX_FRAMES and sum(frame.duration_ms for frame in frames) == 10_000


def rolling(*segments, roll, rate=10):
    """readings(*segments), each with the roll `roll(t)` gives (None: no roll key)."""
    items = readings(*segments, rate=rate)
    for item in items:
        if (degrees := roll(item["t"])) is not None:
            item["roll"] = degrees
    return items


@pytest.mark.django_db
def test_a_recording_with_roll_gives_a_sticker_that_tilts_as_the_head_did(client):
    """The head leans 20° clockwise over the first second and stays there: the sticker's avatar turns with it,
    measured on the decoded frames by the orientation of its skin, against the same recording upright."""
    look = preset("male") | CHANGES
    skin = member("skin_color", look["skin_color"]).value  # what tilt() looks for
    upright = frames_of(post(client, look=EMOTIONAL_LOOK, frames=readings(("happy", 3))).content)[0]
    tilting = rolling(("happy", 3), roll=lambda t: 20 * min(t, 1))
    response = post(client, look=EMOTIONAL_LOOK, frames=tilting)
    assert response.status_code == 200 and len(response.content) <= animation.WEBP_MAX_BYTES
    pictures, durations = frames_of(response.content)
    assert abs(sum(durations) - 3000) <= animation.FRAME_MS
    level = tilt(upright[0], skin)
    turns = [tilt(picture, skin) - level for picture in pictures]
    assert abs(turns[0]) < 3  # it starts upright
    assert all(later > earlier - 1 for earlier, later in zip(turns, turns[1:]))  # and turns one way, smoothly
    assert turns[-1] == pytest.approx(20, abs=2)  # clockwise on screen, as far as the head
    assert all(abs(tilt(picture, skin) - level) < 1 for picture in upright)  # without roll, upright throughout
    # Inside the circle: the background around the shoulders is the still's.
    happy = still(look, "happy", 512)
    assert np.abs(pictures[-1][292, 50] - happy[292, 50]).max() <= 3

    # Leaning the other way turns the other way, drawn no further than 30°.
    far = frames_of(post(client, look=EMOTIONAL_LOOK, frames=rolling(("happy", 1), roll=lambda t: -75)).content)[0]
    assert all(tilt(picture, skin) - level == pytest.approx(-30, abs=2) for picture in far)


def test_roll_is_smoothed_like_the_probabilities():
    """One odd roll reading barely moves the avatar; a steady roll is drawn in whole degrees, without flicker."""
    odd = animation.timeline(
        animation.parse_sequence(rolling(("happy", 3), roll=lambda t: 25 if round(t * 10) == 15 else 0))
    )
    assert 0 < max(frame.roll for frame in odd) <= 10
    noisy = animation.timeline(
        animation.parse_sequence(rolling(("happy", 3), roll=lambda t: 10.5 + (0.3 if round(t * 10) % 2 else -0.3)))
    )
    assert {frame.roll for frame in noisy} == {10}
    # A reading without roll keeps the one before it (upright before any).
    gaps = animation.parse_sequence(rolling(("happy", 3), roll=lambda t: 12 if t < 1 else None if t < 2 else 0))
    assert [step.roll for step in animation.steps(gaps)[24:36]] == [12] * 12  # 1.2 s to 1.8 s
    assert animation.steps(gaps)[-1].roll == 0
    late = animation.parse_sequence(rolling(("happy", 3), roll=lambda t: None if t < 1 else 12))
    assert animation.steps(late)[0].roll == 0 and animation.steps(late)[-1].roll == 12


@pytest.mark.django_db
@pytest.mark.parametrize("file_format", ["webp", "gif"])
def test_readings_without_roll_draw_as_before(client, file_format):
    """No roll, roll null and roll 0 are the same upright sticker, byte for byte."""
    body = {"look": EMOTIONAL_LOOK, "format": file_format, "size": 512}
    without = post(client, frames=readings(("sad", 1), ("happy", 1)), **body).content
    for roll in (0, 0.0, None):  # None: JSON null, not given
        frames = [frame | {"roll": roll} for frame in readings(("sad", 1), ("happy", 1))]
        assert post(client, frames=frames, **body).content == without


@pytest.mark.django_db
@pytest.mark.parametrize(
    "roll",
    ["12", True, False, [3], {"degrees": 3}, 1e9, 180.5, -181, 10**400, float("nan"), float("inf"), float("-inf")],
)
def test_a_bad_roll_is_a_400_naming_the_reading(client, roll):
    frames = readings(("happy", 1))
    frames[3]["roll"] = roll
    response = client.post(URL, json.dumps({"frames": frames}), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"].startswith("frames: frames[3].roll must be a number of degrees from -180 to 180")


@pytest.mark.django_db
@pytest.mark.parametrize("roll", [-180, 180, 0.5, -12.25])
def test_every_roll_in_range_is_accepted(client, roll):
    response = post(client, frames=rolling(("happy", 0.5), roll=lambda t: roll), format="gif", size=128)
    assert response.status_code == 200 and response["Content-Type"] == "image/gif"


def test_a_sequence_too_long_is_refused_with_its_true_length():
    """Readings at 0 s and 11 s were refused as lasting 22.00 s: the last reading was held for the whole
    median gap, 11 s. They span 11 s; the last is held at most LAST_HOLD_SECONDS."""
    with pytest.raises(animation.SequenceError) as refusal:
        animation.parse_sequence([{"t": 0, "emotion": "happy"}, {"t": 11, "emotion": "sad"}])
    assert str(refusal.value) == "the readings span 11.00 s (frames[0].t to frames[1].t); at most 10 s"
    two = animation.parse_sequence([{"t": 0, "emotion": "happy"}, {"t": 9, "emotion": "sad"}])
    assert animation.sequence_end([reading.t for reading in two]) == 9 + animation.LAST_HOLD_SECONDS
    recording = animation.parse_sequence(readings(("happy", 3)))  # a reading every 0.1 s: the last held 0.1 s
    assert animation.sequence_end([reading.t for reading in recording]) == pytest.approx(3.0)


@pytest.mark.django_db
def test_a_restless_ten_seconds_stays_within_whatsapps_limits(client):
    """Every expression in turn and a head that never stops rolling, for 10 s: the frames are capped, so the
    sticker still fits 500 KB and takes bounded time."""
    emotions = animation.EMOTIONS
    frames = [
        {"t": index / 12, "emotion": emotions[index // 6 % 7], "roll": 35 * math.sin(index / 3)} for index in range(120)
    ]
    response = post(client, look=EMOTIONAL_LOOK, frames=frames)
    assert response.status_code == 200 and len(response.content) <= animation.WEBP_MAX_BYTES
    pictures, durations = frames_of(response.content)
    assert len(pictures) <= animation.MAX_FRAMES and abs(sum(durations) - 10_000) <= animation.FRAME_MS


@pytest.mark.parametrize(
    "frames, message",
    [
        ([{"t": 0, "emotion": "happy", "roll": True}, {"t": 1, "emotion": "sad"}], "frames[0].roll must be a number"),
        ([{"t": 0, "emotion": "happy"}, {"t": 1e308, "emotion": "sad"}], "the readings span 1e+308 s"),
    ],
)
def test_refusals_write_values_as_the_client_sent_them(frames, message):
    """JSON's true, not Python's True; a huge time in a few characters, not its 309 digits."""
    with pytest.raises(animation.SequenceError) as refusal:
        animation.parse_sequence(frames)
    assert message in str(refusal.value) and "True" not in str(refusal.value) and len(str(refusal.value)) < 160
