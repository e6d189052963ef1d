from __future__ import annotations

import unicodedata

from django import forms

from . import animation
from .models import ATTRIBUTES, SavedAvatar
from .presets import GENDERS, preset
from .rendering import DEFAULT_PNG_SIZE, GRAPHIC_CLOTHING, PNG_SIZES, THUMBNAIL_PARTS
from .vocabulary import COLOUR_ATTRIBUTES, SHIRT_TEXT_MAX_LENGTH
from .widgets import GenderSelect, SwatchSelect, TileSelect


def errors_text(form, unnamed: tuple[str, ...] = ()) -> str:
    """A form's errors in one line, as every 400 of the site words them: "field: message", joined by "; "
    ("size: Ensure this value is less than or equal to 1024.; format: Select a valid choice. …"). Errors of
    the whole form, and of the fields in `unnamed` (whose messages name them already), stand alone."""
    return "; ".join(
        message if field in ("__all__", *unnamed) else f"{field}: {message}"
        for field, errors in form.errors.items()
        for message in errors
    )


class GenderForm(forms.Form):
    """Step 1: gender picks the starting preset and which options come first."""

    gender = forms.ChoiceField(choices=GENDERS, widget=GenderSelect, initial="female")


class RandomLookForm(forms.Form):
    """ "Random": which starting gender, and a seed (the same seed gives the same look)."""

    gender = forms.ChoiceField(choices=GENDERS, required=False)
    seed = forms.IntegerField(min_value=0, max_value=2**63 - 1)


class LookForm(forms.ModelForm):
    """The look alone (python-avatars argument names, enum member names), as used by live previews,
    share links, downloads and the API. Fields left out take the values of the gender's preset."""

    class Meta:
        model = SavedAvatar
        fields = ATTRIBUTES

    def __init__(self, data=None, *args, **kwargs):
        if data is not None:
            given = {name: data.get(name) for name in data.keys()}
            data = preset(given.get("gender")) | {name: value for name, value in given.items() if value is not None}
        super().__init__(data, *args, **kwargs)

    def clean_shirt_text(self):
        # Printable characters only: control characters would make the SVG invalid XML. Markup is escaped
        # by the XML serialiser when the text is written into the SVG.
        text = self.cleaned_data["shirt_text"]
        return "".join(char for char in text if unicodedata.category(char)[0] != "C").strip()

    @property
    def look(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in ATTRIBUTES}


CUSTOM_TEXT = "CUSTOM_TEXT"  # the shirt graphic that prints shirt_text


class AvatarForm(LookForm):
    """Step 2 and editing: the look plus a name; gender stays changeable. Parts are picture tiles of this
    avatar wearing each option, colours are swatches (avatars.widgets)."""

    class Meta:
        model = SavedAvatar
        fields = ("name", "gender") + ATTRIBUTES
        widgets = {name: TileSelect(name) for name in THUMBNAIL_PARTS} | {
            name: SwatchSelect(name) for name in COLOUR_ATTRIBUTES
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shirt_graphic"].help_text = "Printed on the graphic shirt: picking a graphic puts it on."
        # The shirt's own text right under its tile, "Your own text" (the form template leaves it out of the
        # fields it lists), saying how much fits: the field stops at that length.
        self.fields["shirt_text"].label = "Your text"
        self.fields["shirt_text"].help_text = f"Up to {SHIRT_TEXT_MAX_LENGTH} characters across the shirt."
        self.fields["shirt_graphic"].widget.companion = (CUSTOM_TEXT, self["shirt_text"])  # after the label: bound
        # Tiles show the look as the form holds it: what was posted, else the avatar or the initial values.
        self.current_look = {name: self[name].value() for name in ATTRIBUTES}
        for name in THUMBNAIL_PARTS:
            self.fields[name].widget.look = self.current_look

    def clean(self):
        cleaned = super().clean()
        # Text typed without picking a graphic picks "Your own text", as the script does as you type.
        typed = "shirt_text" in self.changed_data and cleaned.get("shirt_text")
        if typed and "shirt_graphic" not in self.changed_data:
            cleaned["shirt_graphic"] = CUSTOM_TEXT
        # A graphic picked (without the clothing) is worn on the graphic shirt, as the tiles show it.
        if (
            (typed or "shirt_graphic" in self.changed_data)
            and "clothing" not in self.changed_data
            and cleaned.get("shirt_graphic", "NONE") != "NONE"
        ):
            cleaned["clothing"] = GRAPHIC_CLOTHING
        return cleaned


class RenderOptionsForm(forms.Form):
    """Output format and PNG size for downloads."""

    format = forms.ChoiceField(choices=[("png", "PNG"), ("svg", "SVG")], required=False)
    size = forms.IntegerField(
        min_value=PNG_SIZES[0],
        max_value=PNG_SIZES[1],
        required=False,
        help_text=f"PNG width and height in pixels ({PNG_SIZES[0]}–{PNG_SIZES[1]})",
    )

    def clean_format(self):
        return self.cleaned_data["format"] or "png"

    def clean_size(self):
        return self.cleaned_data["size"] or DEFAULT_PNG_SIZE


class AnimationOptionsForm(forms.Form):
    """Animated emoji format (webp: a 512×512 WhatsApp sticker; gif) and the GIF's size."""

    format = forms.ChoiceField(choices=[(name, name.upper()) for name in animation.FORMATS], required=False)
    size = forms.IntegerField(min_value=animation.SIZES[0], max_value=animation.SIZES[1], required=False)

    def clean_format(self):
        return self.cleaned_data["format"] or "webp"

    def clean_size(self):
        return self.cleaned_data["size"] or animation.WHATSAPP_SIZE

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("format") == "webp" and cleaned.get("size") not in (None, animation.WHATSAPP_SIZE):
            self.add_error(
                "size",
                f"WhatsApp animated stickers are {animation.WHATSAPP_SIZE}×"
                f"{animation.WHATSAPP_SIZE}: give size {animation.WHATSAPP_SIZE} (or none) "
                "for webp, or choose gif",
            )
        return cleaned
