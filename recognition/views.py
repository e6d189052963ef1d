from django.http import JsonResponse

from .api import ImageAPIView
from .faces import read_faces
from .forms import EmotionForm


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
