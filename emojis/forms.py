from __future__ import annotations

from django import forms

from avatars import animation
from avatars.forms import AnimationOptionsForm, LookForm, RenderOptionsForm, errors_text
from avatars.models import SavedAvatar
from recognition.forms import CalibrationForm, ImageField, ImageForm, JSONField
from recognition.images import decode_for_emojify


class EmotionForm(ImageForm, CalibrationForm):
    """POST /api/emotion: an image, optionally with the person's baseline."""


class AvatarChoiceForm(forms.Form):
    """Which avatar to draw: a saved one (`avatar=<id>`), else the look fields given, else the default look."""

    avatar = forms.ModelChoiceField(
        SavedAvatar.objects.none(), required=False, error_messages={"invalid_choice": "no saved avatar with that id"}
    )

    def __init__(self, *args, avatars=None, **kwargs):
        """`avatars`: the ones this request may name (avatars.ownership.avatars_of); none when not given."""
        super().__init__(*args, **kwargs)
        if avatars is not None:
            self.fields["avatar"].queryset = avatars

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("avatar"):
            cleaned["look"] = cleaned["avatar"].look
            return cleaned
        look_form = LookForm(self.look_data())
        if look_form.is_valid():
            cleaned["look"] = look_form.look
        else:
            self.add_error(None, errors_text(look_form))
        return cleaned

    def look_data(self):
        """Where the look's attribute fields are: beside the other fields."""
        return self.data


class EmojiRequestForm(ImageForm, CalibrationForm, RenderOptionsForm, AvatarChoiceForm):
    """POST /api/emoji: a photo or frame (+ the person's baseline) + the avatar + format (svg|png) and PNG size."""


class EmojifyRequestForm(ImageForm, AvatarChoiceForm):
    """POST /api/emojify: a photo + optionally the avatar + output format (png|jpeg)."""

    image = ImageField(decode=decode_for_emojify)  # in colour, no bigger than the answer: the picture, faces covered
    format = forms.ChoiceField(choices=[("png", "PNG"), ("jpeg", "JPEG")], required=False)

    def clean_format(self):
        return self.cleaned_data["format"] or "png"


class SequenceField(JSONField):
    """The JSON list of readings [{"t": seconds, "emotion": …} | {"t": seconds, "probabilities": {…}}, …],
    each with an optional "roll" (degrees), cleaned to checked avatars.animation.Reading objects."""

    default_error_messages = {
        "required": 'give the readings: a list of {"t": seconds, "emotion": name} or '
        '{"t": seconds, "probabilities": {emotion: p, …}}, each with an optional "roll": degrees',
        "invalid": "must be a list of readings",
    }

    def clean(self, value):
        items = super().clean(value)
        try:
            return animation.parse_sequence(items)
        except animation.SequenceError as error:
            raise forms.ValidationError(str(error)) from None


LOOK_IS_AN_OBJECT = 'must be an object of avatar attributes, e.g. {"gender": "female", "top": "HIJAB"}'


class AnimationRequestForm(AnimationOptionsForm, AvatarChoiceForm):
    """POST /api/animation: a saved avatar (`avatar`) or a `look` object, the readings (`frames`), the format
    (webp: a 512×512 WhatsApp sticker; gif) and the GIF's size."""

    look = JSONField(required=False, error_messages={"invalid": LOOK_IS_AN_OBJECT})
    frames = SequenceField()

    def clean_look(self):
        look = self.cleaned_data["look"]
        if look is not None and not isinstance(look, dict):
            raise forms.ValidationError(LOOK_IS_AN_OBJECT)
        return look

    def look_data(self):
        """The `look` object's attributes (python-avatars names, enum member names)."""
        return {
            name: value if isinstance(value, str) else str(value)
            for name, value in (self.cleaned_data.get("look") or {}).items()
        }
