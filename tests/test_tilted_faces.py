"""Tilted heads (issue 48): found, read as if upright, and their roll and landmarks reported where they are.

Real faces only: skimage's astronaut, turned as a head leans at a camera.
"""

import io

import cv2
import numpy as np
import pytest

from ml.labels import EMOTIONS
from recognition.faces import read_faces
from recognition.mesh import Mesh, place_mesh
from testkit import images

# Where the astronaut's eyes, nose tip and mouth corners are in skimage's 512×512 picture, as YuNet places them on
# her upright face (its order: her right eye, left eye, nose tip, right and left mouth corner).
ASTRONAUT_LANDMARKS = np.array([(200, 104), (247, 104), (221, 127), (199, 143), (240, 144)], np.float64)


def only_face(frame):
    faces = [face for face in read_faces(frame) if face.emotion]
    assert len(faces) == 1, f"{len(faces)} faces read"
    return faces[0]


def test_the_mesh_lands_on_the_face_it_is_given():
    """The mesh's input range and point numbering are right: its eyes, nose and mouth corners fall on hers."""
    mesh = place_mesh(cv2.cvtColor(images.astronaut_bgr(), cv2.COLOR_BGR2GRAY), (222.0, 120.0), 113.0)
    assert isinstance(mesh, Mesh) and mesh.presence > 0.9
    assert np.abs(mesh.landmarks - ASTRONAUT_LANDMARKS).max() < 8  # px, on a face 113 px wide
    assert 0 < mesh.roll < 6  # her head leans a little to the picture's right


def test_no_face_means_a_low_mesh_presence():
    """Where there is no face, the mesh says so: the site turns such detections away."""
    assert place_mesh(images.noise(320, 240)[:, :, 0], (160.0, 120.0), 100.0).presence < 0.5


@pytest.mark.parametrize("degrees", [-30, -20, 20, 30])
def test_a_tilted_face_is_found_and_read_as_upright(degrees):
    upright = only_face(images.webcam_frame())
    face = only_face(images.tilted(images.webcam_frame(), degrees))
    assert face.emotion == upright.emotion == "happy"
    assert np.abs(face.probabilities - upright.probabilities).max() < 0.1


@pytest.mark.parametrize("degrees", [-30, -10, 10, 25])
def test_roll_has_the_sign_and_size_of_the_tilt(degrees):
    """roll is the eye line's angle, positive when the head leans clockwise on screen: the applied tilt plus the
    astronaut's own lean."""
    own = only_face(images.webcam_frame()).roll
    assert only_face(images.tilted(images.webcam_frame(), degrees)).roll - own == pytest.approx(degrees, abs=4)


def test_landmarks_turn_with_the_head():
    """The five points of a tilted face are the upright face's points, turned about the frame's centre."""
    frame = images.webcam_frame()
    upright = only_face(frame).landmarks
    tilted = only_face(images.tilted(frame, 25)).landmarks
    centre = np.array([(frame.shape[1] - 1) / 2, (frame.shape[0] - 1) / 2])
    angle = np.radians(25)  # clockwise on screen, where y grows downwards
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    assert np.abs((upright - centre) @ turn.T + centre - tilted).max() < 10  # px, eyes 60 px apart


def test_the_api_gives_landmarks_and_roll_in_the_posted_pictures_pixels(client):
    """A 2560×1920 JPEG is read at a quarter of its size; its landmarks still come in the upload's pixels."""
    frame = images.tilted(images.webcam_frame(), 20)
    answers = {}
    for scale in (1, 4):
        picture = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
        upload = io.BytesIO(images.encode(picture))
        upload.name = "frame.jpg"
        body = client.post("/api/emotion", {"image": upload}).json()
        (face,) = body["faces"]
        assert list(face) == ["box", "emotion", "confidence", "probabilities", "landmarks", "roll"]
        assert len(face["landmarks"]) == 5 and all(len(point) == 2 for point in face["landmarks"])
        answers[scale] = face
    assert np.allclose(np.array(answers[4]["landmarks"]) / 4, answers[1]["landmarks"], atol=4)
    assert answers[4]["roll"] == pytest.approx(answers[1]["roll"], abs=3)
    right_eye, left_eye = np.array(answers[1]["landmarks"][:2])
    assert left_eye[0] > right_eye[0] and left_eye[1] > right_eye[1]  # leaning clockwise: her left eye is lower
    assert answers[1]["emotion"] == "happy" and list(answers[1]["probabilities"]) == list(EMOTIONS)
