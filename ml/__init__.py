"""Emotion model: dataset loading, preprocessing, the CNN, training and evaluation.

Plain TensorFlow/Keras + NumPy; nothing here imports Django.
"""
