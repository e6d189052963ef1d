from __future__ import annotations

import secrets
from functools import lru_cache

from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse, reverse_lazy
from django.views import View
from django.views.generic import DeleteView, ListView, TemplateView, UpdateView
from django.views.generic.edit import CreateView

from emotions import EMOTIONS

from .animation import FORMATS, wave_animation
from .downloads import attachment, emoji_response, sticker_pack_response
from .forms import (
    AnimationOptionsForm,
    AvatarForm,
    GenderForm,
    LookForm,
    RandomLookForm,
    RenderOptionsForm,
    errors_text,
)
from .models import ATTRIBUTES, GENDER_NAMES, SavedAvatar, SharedLook, share_query, short_link_of
from .ownership import MAX_AVATARS, avatars_of, claim, over_the_cap
from .presets import FIRST_FIELDS, preset
from .random_look import random_look
from .rendering import GRAPHIC_CLOTHING, THUMBNAIL_PARTS, render_svg, render_thumbnail


class OwnedAvatarsMixin:
    """Only the request's own avatars (avatars.ownership): another person's id is a 404."""

    def get_queryset(self):
        return avatars_of(self.request)

    def get_avatar(self) -> SavedAvatar:
        return get_object_or_404(avatars_of(self.request), pk=self.kwargs["pk"])


class LookMixin(OwnedAvatarsMixin):
    """The look from a saved avatar (URL pk) or from the query string (share links, live preview)."""

    def get_look(self) -> dict[str, str]:
        if "pk" in self.kwargs:
            return self.get_avatar().look
        return dict(look_of_query(self.request.META.get("QUERY_STRING", "")))

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except InvalidLook as error:
            return bad_request_page(request, error.message)


def bad_request_page(request, detail: str) -> HttpResponse:
    """400 as the site's error page naming what was wrong: file and share URLs are opened by people too
    (a mangled share link, a hand-edited download address), not only by <img> tags."""
    return render(request, "400.html", {"detail": detail}, status=400)


def bad_options(request, form) -> HttpResponse:
    return bad_request_page(request, errors_text(form))


@lru_cache(maxsize=4096)
def look_of_query(query: str) -> tuple:
    """The look a query string gives, remembered: a form page asks for ~190 tile URLs, and validating a look
    (a ModelForm) takes far longer than answering a cached picture."""
    form = LookForm(QueryDict(query))
    if not form.is_valid():
        raise InvalidLook(form)
    return tuple(form.look.items())


class InvalidLook(Exception):
    def __init__(self, form):
        self.message = "invalid avatar: " + errors_text(form)
        super().__init__(self.message)


class AvatarListView(OwnedAvatarsMixin, ListView):
    template_name = "avatars/list.html"
    context_object_name = "avatars"
    paginate_by = 24
    ordering = ("-updated", "-pk")


class AvatarFormMixin(OwnedAvatarsMixin):
    model = SavedAvatar
    form_class = AvatarForm
    template_name = "avatars/form.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["form"]
        gender = form["gender"].value()
        first = FIRST_FIELDS.get(gender, FIRST_FIELDS["female"])
        context["first_fields"] = [form[name] for name in first]
        # The shirt's text is drawn under its graphic's tile (AvatarForm), not in this list.
        context["more_fields"] = [form[name] for name in ATTRIBUTES if name not in first and name != "shirt_text"]
        # What "More options" opens, as the fields' own labels say it (male avatars have facial hair first).
        context["more_fields_names"] = ", ".join(str(field.label).lower() for field in context["more_fields"])
        context["graphic_clothing"] = GRAPHIC_CLOTHING
        # What the form changes by itself (a graphic picked puts the graphic shirt on) is said under the graphic
        # tiles, where the eye is: in the phone's pinned preview the notice grew it and squeezed its select.
        context["notice_field"] = "shirt_graphic"
        context["preview_query"] = share_query(form.current_look)
        context["show_all"] = self.request.GET.get("all") == "1"
        context["emotions"] = EMOTIONS
        # "Random" without JavaScript reloads the page with a new seed; the script asks random.json instead.
        query = self.request.GET.copy()
        query["random"] = secrets.randbelow(2**31)
        context["random_query"] = query.urlencode()
        return context

    def random_initial(self, gender: str | None) -> dict[str, str]:
        """The random look for ?random=<seed> (the no-JavaScript "Random"), else nothing."""
        form = RandomLookForm({"gender": gender, "seed": self.request.GET.get("random")})
        return random_look(gender, form.cleaned_data["seed"]) if form.is_valid() else {}


class AvatarCreateView(AvatarFormMixin, CreateView):
    """Two steps: /avatars/new/ asks for gender; /avatars/new/?gender=… shows every attribute."""

    def get(self, request, *args, **kwargs):
        gender_form = GenderForm(request.GET or None)
        if not gender_form.is_valid():
            return TemplateResponse(
                request, "avatars/gender.html", {"form": gender_form}, status=400 if "gender" in request.GET else 200
            )
        return super().get(request, *args, **kwargs)

    def get_initial(self):
        gender = self.request.GET.get("gender")
        # Share links carry a look in the query string: start from it instead of the preset.
        shared = {name: self.request.GET[name] for name in ATTRIBUTES if name in self.request.GET}
        name = new_avatar_name(self.request)
        return preset(gender) | shared | self.random_initial(gender) | {"gender": gender, "name": name}

    def form_valid(self, form):
        claim(self.request, form.instance)
        response = super().form_valid(form)
        if over_the_cap(self.request, self.object):
            self.object = None
            form.add_error(None, CAP_MESSAGE)
            return self.form_invalid(form)
        return response


def new_avatar_name(request) -> str:
    """A new avatar's name until its maker gives it one: "Avatar 1", "Avatar 2"…, a number none of their
    avatars' names has. A name reads in every sentence the site puts it in ("Make an emoji with Avatar 2",
    "Avatar 2 feels…", "Avatar 2 (copy)"), where the old default read "Make an emoji with My avatar"."""
    avatars = avatars_of(request)
    taken = set(avatars.values_list("name", flat=True))
    number = avatars.count() + 1
    while f"Avatar {number}" in taken:
        number += 1
    return f"Avatar {number}"


CAP_MESSAGE = f"You have {MAX_AVATARS} avatars, as many as one person may keep: delete one to save another."


class AvatarUpdateView(AvatarFormMixin, UpdateView):
    def get_initial(self):
        return super().get_initial() | self.random_initial(self.object.gender)  # initial wins over the saved look


class AvatarDuplicateView(OwnedAvatarsMixin, View):
    def post(self, request, pk):
        avatar = self.get_avatar()
        avatar.pk = None
        avatar.name = avatar.name_of_copy()
        avatar.save()
        if over_the_cap(request, avatar):
            messages.error(request, CAP_MESSAGE)
            return redirect("avatars:list")
        return redirect("avatars:edit", pk=avatar.pk)


class AvatarDeleteView(OwnedAvatarsMixin, DeleteView):
    template_name = "avatars/confirm_delete.html"
    success_url = reverse_lazy("avatars:list")


def cacheable(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "public, max-age=86400"  # the URL is the whole input
    return response


class PreviewView(LookMixin, View):
    """Inline SVG of a look with one expression: the live preview while editing (?emotion=…)."""

    def get(self, request, *args, **kwargs):
        emotion = request.GET.get("emotion", "neutral")
        if emotion not in EMOTIONS:
            return bad_request_page(request, f"unknown emotion {emotion!r}; one of {', '.join(EMOTIONS)}")
        return cacheable(HttpResponse(render_svg(self.get_look(), emotion), content_type="image/svg+xml"))


class ThumbnailView(LookMixin, View):
    """GET thumbnail/<part>.png?<look>: one picture tile of the form, the look cropped to that part."""

    def get(self, request, *args, part: str, **kwargs):
        if part not in THUMBNAIL_PARTS:
            raise Http404(f"no thumbnails for {part!r}")
        return cacheable(HttpResponse(render_thumbnail(self.get_look(), part), content_type="image/png"))


class RandomLookView(View):
    """GET random.json?gender=…&seed=…: {"look": {…}}, what "Random" puts on the form (avatars.random_look)."""

    def get(self, request):
        form = RandomLookForm(request.GET)
        if not form.is_valid():
            return JsonResponse({"error": errors_text(form)}, status=400)
        return JsonResponse({"look": random_look(form.cleaned_data["gender"], form.cleaned_data["seed"])})


class GalleryView(LookMixin, TemplateView):
    """One avatar with all seven expressions side by side, each downloadable."""

    template_name = "avatars/gallery.html"

    def get_context_data(self, **kwargs):
        look = self.get_look()
        avatar = self.get_avatar() if "pk" in self.kwargs else None
        gender = avatar.gender if avatar else self.request.GET.get("gender")
        gender = gender if gender in GENDER_NAMES else "nonbinary"
        query = share_query(look, gender)
        wave = {
            file_format: reverse("avatars:wave", args=[avatar.pk, file_format])
            if avatar
            else reverse("avatars:shared_wave", args=[file_format]) + "?" + query
            for file_format in FORMATS
        }
        happy_png = (
            reverse("avatars:emoji", args=[avatar.pk, "happy", "png"])
            if avatar
            else reverse("avatars:shared_emoji", args=["happy", "png"]) + "?" + query
        )
        return super().get_context_data(
            avatar=avatar,
            query=query,
            wave=wave,
            share_image=happy_png,
            share_url=self.request.build_absolute_uri(short_link_of(look, gender)),
            expressions=[(emotion, render_svg(look, emotion)) for emotion in EMOTIONS],
            **kwargs,
        )


class SharedLookView(View):
    """GET /s/<code>: a short share link opens the gallery of the look it was made for, the long share link's
    page (whose Share box shows this short link again). Codes are case-blind, as people retype them; an
    unknown one is the site's 404 page."""

    def get(self, request, code: str):
        shared = get_object_or_404(SharedLook, code=code.lower())
        return redirect(f"{reverse('avatars:shared_gallery')}?{shared.query}")


class EmojiDownloadView(LookMixin, View):
    """GET …/emoji/<emotion>.<svg|png>[?size=…]: one expression as a file download."""

    def get(self, request, *args, emotion: str, file_format: str, **kwargs):
        if emotion not in EMOTIONS:
            raise Http404(f"unknown emotion {emotion!r}")
        options = RenderOptionsForm({"format": file_format, "size": request.GET.get("size")})
        if not options.is_valid():
            return bad_options(request, options)
        return emoji_response(self.get_look(), emotion, options.cleaned_data["format"], options.cleaned_data["size"])


class WaveAnimationView(LookMixin, View):
    """GET …/wave.<webp|gif>[?size=…]: the gallery's sample animation, every expression in turn."""

    def get(self, request, *args, file_format: str, **kwargs):
        options = AnimationOptionsForm({"format": file_format, "size": request.GET.get("size")})
        if not options.is_valid():
            return bad_options(request, options)
        file_format = options.cleaned_data["format"]
        return attachment(
            wave_animation(self.get_look(), file_format, options.cleaned_data["size"]),
            file_format,
            f"emoji-wave.{file_format}",
        )


class StickerPackView(LookMixin, View):
    """GET …/stickers.zip: all seven expressions as PNG + SVG, and a WhatsApp-ready WebP set."""

    def get(self, request, *args, **kwargs):
        return sticker_pack_response(self.get_look())
