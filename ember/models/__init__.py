"""Models: ``Model`` (functional or subclassed) and ``Sequential``."""

from ember.models.model import Model
from ember.models.functional import Functional
from ember.models.sequential import Sequential

__all__ = ["Functional", "Model", "Sequential"]
