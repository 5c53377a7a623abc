"""Utilities: seeding, label encoding, data splitting."""

from ember.utils.seed import set_random_seed

__all__ = ["set_random_seed"]
