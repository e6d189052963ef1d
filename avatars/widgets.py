"""Radio buttons drawn as pictures: the avatar form's tiles and colour swatches.

Still plain `<input type="radio">`s inside their `<label>`s (a real form: keyboard, screen readers and no-JS
posting work as for any radio group); only the pictures and the CSS are new.
"""

from __future__ import annotations

from django import forms
from django.urls import reverse

from .models import share_query
from .vocabulary import member


class PictureRadioSelect(forms.RadioSelect):
    """Radios whose labels carry a picture; subclasses say which picture (`picture_of`)."""

    template_name = "avatars/widgets/pictures.html"  # writes each option out itself
    css_class = "tiles"
    # Another field shown in the grid right under one option's tile, as (option value, bound field): the shirt's
    # own text under "Your own text" (AvatarForm), where it had sat at the end of the form.
    companion: tuple[str, object] | None = None

    def picture_of(self, value: str) -> dict:
        """Template context for one option's picture."""
        raise NotImplementedError

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["css_class"] = self.css_class
        if self.companion:
            context["widget"]["companion_after"], context["widget"]["companion"] = self.companion
        return context

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        option.update(self.picture_of(value))
        return option


class TileSelect(PictureRadioSelect):
    """Each option a thumbnail of *this* avatar wearing it (avatars:thumbnail, rendered and cached
    server-side). The form sets `look` to the avatar being edited."""

    def __init__(self, part: str, attrs=None):
        super().__init__(attrs)
        self.part = part
        self.look: dict[str, str] = {}

    def picture_of(self, value):
        return {"picture": f"{self.url}?{share_query(self.look | {self.part: value})}"}

    def get_context(self, name, value, attrs):
        self.url = reverse("avatars:thumbnail", args=[self.part])
        return super().get_context(name, value, attrs)


class SwatchSelect(PictureRadioSelect):
    """Each option a patch of its colour (python-avatars' colour enums hold the hex value)."""

    css_class = "tiles swatches"

    def __init__(self, attribute: str, attrs=None):
        super().__init__(attrs)
        self.attribute = attribute

    def picture_of(self, value):
        return {"colour": member(self.attribute, value).value}


class GenderSelect(PictureRadioSelect):
    """Each gender shown as its starting avatar (the preset's live preview)."""

    css_class = "tiles genders"

    def picture_of(self, value):
        return {"picture": f"{reverse('avatars:preview')}?gender={value}&emotion=happy"}
