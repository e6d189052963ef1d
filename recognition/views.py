from django.http import JsonResponse

from .api import ImageAPIView
from .faces import read_faces
from .forms import ImageForm


class EmotionAPIView(ImageAPIView):
    """POST /api/emotion: every face in the image with its emotion; `primary` is the largest readable one."""

    form_class = ImageForm

    def form_valid(self, form):
        faces = read_faces(form.cleaned_data["image"])
        primary = next((index for index, face in enumerate(faces) if face.emotion is not None), None)
        return JsonResponse({"faces": [face.as_json() for face in faces], "primary": primary})
