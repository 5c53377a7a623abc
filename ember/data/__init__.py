"""Data adapters: turn what ``fit``/``evaluate``/``predict`` receive into batches."""

from ember.data.adapters import DataAdapter, get_data_adapter, train_validation_split

__all__ = ["DataAdapter", "get_data_adapter", "train_validation_split"]
