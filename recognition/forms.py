"""The `image` field every image-taking endpoint shares (an uploaded file or a data: URL, decoded in memory),
and the optional `baseline` that calibrates a reading to the person (ml.calibration)."""

from __future__ import annotations

import json

from django import forms
from django.core.files.uploadedfile import UploadedFile

from emotions import BaselineError, parse_baseline

from .images import ImageInputError, bytes_from_data_url, check_size, decode_for_reading


class FileOrTextInput(forms.FileInput):
    """Reads the multipart file of that name, else the plain form/JSON value (a data: URL from a canvas)."""

    def value_from_datadict(self, data, files, name):
        return files.get(name) or data.get(name)

    def value_omitted_from_data(self, data, files, name):
        return name not in files and name not in data


class ImageField(forms.Field):
    """Cleans to the NumPy array `decode` makes of the bytes: by default the luma array faces are read in
    (recognition.images.decode_for_reading: big images shrunk on decode, with the scale back to the upload's);
    decode_for_emojify's colour picture of at most what /api/emojify answers; decode_image's full size.

    Errors carry code 'too_large' (→ 413) or 'invalid' (→ 400).
    """

    widget = FileOrTextInput
    default_error_messages = {"required": "no image: send a multipart file or a data: URL in the field 'image'"}

    def __init__(self, *, decode=decode_for_reading, **kwargs):
        super().__init__(**kwargs)
        self.decode = decode

    def clean(self, value):
        # Field.clean's emptiness checks compare the value with `in`, which a NumPy array cannot answer.
        if value is None or (isinstance(value, str) and not value.strip()):
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return None
        return self.to_python(value)

    def to_python(self, value):
        try:
            if isinstance(value, UploadedFile):
                check_size(value.size)
                data = value.read()
            elif isinstance(value, str):
                data = bytes_from_data_url(value)
            else:
                raise ImageInputError("'image' must be an uploaded file or a data: URL string")
            return self.decode(data)
        except ImageInputError as error:
            raise forms.ValidationError(str(error), code="too_large" if error.status == 413 else "invalid") from error


class ImageForm(forms.Form):
    """An image to read faces in: grey, and no bigger than needed, is all the detector and the model look at."""

    image = ImageField()


class JSONField(forms.JSONField):
    """Django's JSONField, also answering "invalid" for JSON nested too deep to parse (RecursionError)."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except RecursionError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class BaselineField(forms.Field):
    """A JSON object {emotion: probability} — the person's resting face as /api/emotion read it — cleaned to
    the 7 probabilities in EMOTIONS order, or None when not given."""

    def clean(self, value):
        # Like ImageField: Field.clean's emptiness checks cannot take the NumPy array this cleans to.
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            mapping = json.loads(value)
        except (TypeError, ValueError, RecursionError):  # RecursionError: nested too deep to parse
            raise forms.ValidationError(
                'not valid JSON: send a JSON object such as {"angry": 0.1, …, "neutral": 0.6} with all 7 emotions'
            ) from None
        try:
            return parse_baseline(mapping)
        except BaselineError as error:
            raise forms.ValidationError(str(error)) from None


class CalibrationForm(forms.Form):
    """Optional: read faces against the person's resting face."""

    baseline = BaselineField(required=False)
