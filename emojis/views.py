"""The pages and endpoints that join recognition (what face is this?) and avatars (draw it)."""

from __future__ import annotations

import cv2
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.views import View
from django.views.generic import DetailView, TemplateView

from avatars import animation
from avatars.downloads import animation_response, emoji_response
from avatars.models import share_query
from avatars.ownership import avatars_of
from avatars.presets import preset
from emotions import EMOTIONS, FEELINGS
from ml.inference import DEFAULT_WEIGHTS
from ml.model_card import ModelCardError, card_path, read_card
from recognition.faces import read_faces

from .api import ImageAPIView, json_error
from .compose import emojify_image
from .forms import AnimationRequestForm, EmojifyRequestForm, EmojiRequestForm, EmotionForm


def model_figures() -> dict | None:
    """The served model's measured accuracy (its model card, written beside the weights by ml.train),
    shown to users so they know how well it sees; none when there is no card or the parts shown do not match
    its schema (ml.model_card)."""
    try:
        card = read_card(card_path(settings.EMOJIFY_MODEL_PATH or DEFAULT_WEIGHTS), parts=("evaluation", "real_photos"))
    except ModelCardError:
        return None
    evaluation = card.get("evaluation", {})
    recall = {emotion: scores["recall"] for emotion, scores in evaluation.get("per_class", {}).items()}
    ranked = sorted(recall, key=recall.get, reverse=True)
    return {
        "accuracy": evaluation.get("accuracy"),
        "usage": evaluation.get("usage"),
        # "FER+ majority": the held-out faces' label is what most of their ten taggers said.
        "crowd_labels": evaluation.get("labels") == "FER+ majority",
        "count": evaluation.get("count"),
        "recall": recall,
        "best": ranked[:2],
        "worst": ranked[-2:],
        # Real photos (bench/real_photos.py --write-card): what users' faces are like.
        "portraits": card.get("real_photos", {}).get("portraits-dev"),
        "realfaces": card.get("real_photos", {}).get("realfaces"),
    }


class HomeView(TemplateView):
    """What you make first (one avatar's seven expressions and its animated sticker: your newest avatar, else a
    sample), then your avatars, then how well the model sees."""

    template_name = "emojis/home.html"
    showcase_gender = "female"

    def get_context_data(self, **kwargs):
        avatars = avatars_of(self.request)[:6]
        showcase = avatars[0] if avatars else None
        showcase_query = (
            showcase.share_query if showcase else share_query(preset(self.showcase_gender), self.showcase_gender)
        )
        return super().get_context_data(
            avatars=avatars,
            model=model_figures(),
            emotions=EMOTIONS,
            showcase=showcase,
            showcase_query=showcase_query,
            **kwargs,
        )


class GeneratePageView(DetailView):
    """Live webcam emotion → Generate emoji → download, for one of your saved avatars."""

    template_name = "emojis/generate.html"
    context_object_name = "avatar"

    def get_queryset(self):
        return avatars_of(self.request)

    def get_context_data(self, **kwargs):
        # Sharing a made emoji also gives the link that recreates the avatar (its shared gallery).
        share_url = self.request.build_absolute_uri(self.object.short_link())
        return super().get_context_data(emotions=EMOTIONS, feelings=FEELINGS, share_url=share_url, **kwargs)


class EmojifyPageView(TemplateView):
    template_name = "emojis/emojify.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(avatars=avatars_of(self.request), **kwargs)


class CsrfTokenView(View):
    """GET /api/csrf: a CSRF token (and cookie) for API clients that are not browsers on our pages."""

    def get(self, request):
        return JsonResponse({"csrfToken": get_token(request)})


class EmotionAPIView(ImageAPIView):
    """POST /api/emotion: every face in the image with its emotion; `primary` is the largest readable one.
    With a `baseline`, every reading is calibrated to that person's resting face."""

    form_class = EmotionForm

    def form_valid(self, form):
        baseline = form.cleaned_data["baseline"]
        faces = read_faces(form.cleaned_data["image"], baseline=baseline)
        primary = next((index for index, face in enumerate(faces) if face.emotion is not None), None)
        return JsonResponse(
            {"faces": [face.as_json() for face in faces], "primary": primary, "calibrated": baseline is not None}
        )


class AvatarAPIMixin:
    """The `avatar` field accepts only the request's own avatars; another's id is a 404, as on the pages."""

    def get_form_kwargs(self) -> dict:
        return super().get_form_kwargs() | {"avatars": avatars_of(self.request)}

    def form_invalid(self, form):
        if any(error.code == "invalid_choice" for error in form.errors.as_data().get("avatar", [])):
            return json_error("no saved avatar with that id", status=404)
        return super().form_invalid(form)


class EmojiAPIView(AvatarAPIMixin, ImageAPIView):
    """POST /api/emoji: read the emotion of the largest face (calibrated to the person with a `baseline`),
    answer the avatar wearing it as a file."""

    form_class = EmojiRequestForm

    def form_valid(self, form):
        baseline = form.cleaned_data["baseline"]
        faces = [face for face in read_faces(form.cleaned_data["image"], baseline=baseline) if face.emotion is not None]
        if not faces:
            return json_error(
                "no face found in the image: face the camera in good light, or try another photo", status=422
            )
        face = faces[0]
        response = emoji_response(
            form.cleaned_data["look"], face.emotion, form.cleaned_data["format"], form.cleaned_data["size"]
        )
        response["X-Emotion"] = face.emotion
        response["X-Confidence"] = f"{face.confidence:.4f}"
        response["X-Calibrated"] = "true" if baseline is not None else "false"
        # The whole reading, so a page can show the bars for a photo too: "angry=0.0100,…,neutral=0.0200".
        response["X-Probabilities"] = ",".join(
            f"{emotion}={probability:.4f}" for emotion, probability in zip(EMOTIONS, face.probabilities)
        )
        response["Access-Control-Expose-Headers"] = "X-Emotion, X-Confidence, X-Calibrated, X-Probabilities"
        return response


class EmojifyAPIView(AvatarAPIMixin, ImageAPIView):
    """POST /api/emojify: the picture with every face replaced by the avatar wearing that face's emotion."""

    form_class = EmojifyRequestForm

    def form_valid(self, form):
        result = emojify_image(form.cleaned_data["image"], form.cleaned_data["look"])
        file_format = form.cleaned_data["format"]
        extension = "png" if file_format == "png" else "jpg"
        _, data = cv2.imencode(
            f".{extension}", result.image, [cv2.IMWRITE_JPEG_QUALITY, 90] if file_format == "jpeg" else []
        )
        response = HttpResponse(data.tobytes(), content_type=f"image/{file_format}")
        response["Content-Disposition"] = f'inline; filename="emojified.{extension}"'
        response["X-Faces"] = str(len(result.replaced))
        response["X-Emotions"] = ",".join(result.emotions)
        response["X-Faces-Too-Small"] = str(len(result.too_small))
        # Where each face is, in X-Emotions' order (largest first), so a page can name them left to right.
        response["X-Face-Boxes"] = ";".join(",".join(str(value) for value in face.box) for face in result.replaced)
        return response


class AnimationAPIView(AvatarAPIMixin, ImageAPIView):
    """POST /api/animation: the avatar acting out a sequence of readings, as an animated WebP sticker or GIF.

    Only the readings (times and probabilities or emotions) come in; no picture of the person does."""

    form_class = AnimationRequestForm
    max_body_bytes = animation.MAX_REQUEST_BYTES  # refused before parsing: 120 readings are small
    empty_body_error = 'empty request body: send a JSON object {"avatar": id or "look": {…}, "frames": […]}'

    def form_valid(self, form):
        return animation_response(
            form.cleaned_data["look"],
            form.cleaned_data["frames"],
            form.cleaned_data["format"],
            form.cleaned_data["size"],
        )


def csrf_failure(request, reason=""):
    """CSRF rejections: JSON for the API, a short page for people."""
    message = (
        "CSRF check failed: send the csrftoken cookie and its value in the X-CSRFToken header "
        "(GET /api/csrf gives both)"
    )
    if request.path.startswith("/api/"):
        return json_error(message, status=403)
    return render(request, "emojis/csrf_failure.html", {"message": message}, status=403)
