"""The seven FER2013 emotions, in label order (index = FER2013 `emotion` value): the model's classes."""

from emotions import EMOTIONS

NUM_CLASSES = len(EMOTIONS)
