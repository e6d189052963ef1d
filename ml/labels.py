"""The seven FER2013 emotions, in label order (index = FER2013 `emotion` value)."""

EMOTIONS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
NUM_CLASSES = len(EMOTIONS)
