from __future__ import annotations

from django import forms

from avatars.forms import LookForm, RenderOptionsForm
from avatars.models import SavedAvatar
from recognition.forms import CalibrationForm, ImageField, ImageForm


class AvatarChoiceForm(forms.Form):
    """Which avatar to draw: a saved one (`avatar=<id>`), else the look fields given, else the default look."""

    avatar = forms.ModelChoiceField(SavedAvatar.objects.none(), required=False,
                                    error_messages={"invalid_choice": "no saved avatar with that id"})

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
        look_form = LookForm(self.data)
        if look_form.is_valid():
            cleaned["look"] = look_form.look
        else:
            for field, errors in look_form.errors.items():
                self.add_error(None, f"{field}: {' '.join(errors)}")
        return cleaned


class EmojiRequestForm(ImageForm, CalibrationForm, RenderOptionsForm, AvatarChoiceForm):
    """POST /api/emoji: a photo or frame (+ the person's baseline) + the avatar + format (svg|png) and PNG size."""


class EmojifyRequestForm(ImageForm, AvatarChoiceForm):
    """POST /api/emojify: a photo + optionally the avatar + output format (png|jpeg)."""

    image = ImageField()  # in colour: the answer is the same picture with the faces covered
    format = forms.ChoiceField(choices=[("png", "PNG"), ("jpeg", "JPEG")], required=False)

    def clean_format(self):
        return self.cleaned_data["format"] or "png"
