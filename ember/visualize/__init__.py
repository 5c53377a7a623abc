"""Pictures of models and training: training curves, first-layer filters, confusion
matrices, predictions, layer diagrams (matplotlib, ``pip install 'ember[plot]'``), and an
embedding projector written as one HTML page (NumPy only)."""

from ember.visualize.confusion import plot_confusion_matrix
from ember.visualize.filters import plot_filters
from ember.visualize.history import plot_history
from ember.visualize.model_plot import plot_model
from ember.visualize.predictions import plot_predictions
from ember.visualize.projector import pca, project_embeddings, tsne

__all__ = [
    "pca",
    "plot_confusion_matrix",
    "plot_filters",
    "plot_history",
    "plot_model",
    "plot_predictions",
    "project_embeddings",
    "tsne",
]
