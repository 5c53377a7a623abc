"""Models: ``Model`` (functional or subclassed) and ``Sequential``."""

from ember.models.model import Model
from ember.models.functional import Functional
from ember.models.sequential import Sequential

from ember.saving.model_file import load_model, save_model

__all__ = ["Functional", "Model", "Sequential", "load_model", "save_model"]
