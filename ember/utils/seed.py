"""One call to make a run reproducible."""

from __future__ import annotations

from ember import backend


def set_random_seed(seed: int) -> None:
    """Seed ember's generator (weights, shuffling, dropout), Python's ``random`` and NumPy.

    Example:
        >>> import ember
        >>> ember.utils.set_random_seed(0)
        >>> a = ember.randn(2)
        >>> ember.utils.set_random_seed(0)
        >>> bool((ember.randn(2) == a).all())
        True
    """
    backend.set_seed(seed)
