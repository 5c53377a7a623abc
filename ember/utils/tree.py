"""Nested structures (lists, tuples, dicts of leaves): flatten, map, pack."""

from __future__ import annotations


def is_nested(x) -> bool:
    return isinstance(x, (list, tuple, dict))


def flatten(structure) -> list:
    """Leaves of ``structure`` in order (dicts by sorted key, as Keras's tree does)."""
    if isinstance(structure, dict):
        return [leaf for k in sorted(structure) for leaf in flatten(structure[k])]
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    return [structure]


def map_structure(fn, structure):
    """``structure`` with every leaf replaced by ``fn(leaf)``."""
    if isinstance(structure, dict):
        return {k: map_structure(fn, v) for k, v in structure.items()}
    if isinstance(structure, tuple):
        return tuple(map_structure(fn, v) for v in structure)
    if isinstance(structure, list):
        return [map_structure(fn, v) for v in structure]
    return fn(structure)


def pack_sequence_as(structure, flat: list):
    """Rebuild ``structure`` with the leaves taken in order from ``flat``."""
    it = iter(flat)

    def take(_):
        return next(it)

    if isinstance(structure, dict):
        return {k: pack_sequence_as(structure[k], [take(None) for _ in flatten(structure[k])])
                for k in sorted(structure)}
    return map_structure(take, structure)
