"""Batches from NumPy arrays (nested in lists/dicts), Python generators and iterables, and
``PyDataset`` objects, each as ``(x, y, sample_weight)`` tuples per step."""

from __future__ import annotations

import inspect
import math

import numpy as np

from ember import backend
from ember.autograd.tensor import Tensor
from ember.utils import tree


class DataAdapter:
    """One epoch at a time: ``num_batches`` (None when unknown) and ``epoch()`` yielding
    ``(x, y, sample_weight)`` batches."""

    num_batches: int | None = None

    def epoch(self):
        raise TypeError(f"{type(self).__name__} must define epoch()")

    def on_epoch_end(self) -> None:
        """Called by the loop after each epoch."""


def get_data_adapter(x, y=None, sample_weight=None, batch_size=None, steps=None,
                     shuffle=False, class_weight=None, caller: str = "fit") -> DataAdapter:
    """The adapter for ``x`` (and ``y``, ``sample_weight``) as ``caller`` received them."""
    from ember.utils.py_dataset import PyDataset

    if isinstance(x, PyDataset):
        _no_targets_with(caller, "a PyDataset", y, sample_weight)
        return PyDatasetAdapter(x, steps, class_weight)
    if inspect.isgenerator(x) or (
        hasattr(x, "__iter__") and not isinstance(x, (np.ndarray, Tensor, list, tuple, dict))
    ) or hasattr(x, "__next__"):
        _no_targets_with(caller, "a generator or iterable", y, sample_weight)
        return GeneratorAdapter(x, steps, class_weight)
    return ArrayAdapter(x, y, sample_weight, batch_size or 32, steps, shuffle, class_weight,
                        caller)


def _no_targets_with(caller, kind, y, sample_weight):
    if y is not None or sample_weight is not None:
        raise ValueError(
            f"{caller}: `y` and `sample_weight` must be None when `x` is {kind} "
            "(the batches carry their own targets)"
        )


def _as_array(a):
    if isinstance(a, Tensor):
        return a.numpy()
    if hasattr(a, "__array__") or isinstance(a, (list, float, int)):
        return np.asarray(a)
    return a


def nested_arrays(data):
    """Arrays nested in lists/tuples/dicts (several inputs or outputs) as NumPy arrays; a list
    of lists or numbers is one array."""
    if data is None:
        return None
    if isinstance(data, dict):
        return {k: nested_arrays(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)) and data and all(
        isinstance(d, (np.ndarray, Tensor, dict)) for d in data
    ):
        return type(data)(nested_arrays(d) for d in data)
    return _as_array(data)


class ArrayAdapter(DataAdapter):
    """Batches sliced from in-memory arrays, reshuffled each epoch when ``shuffle``."""

    def __init__(self, x, y, sample_weight, batch_size, steps, shuffle, class_weight, caller):
        self.x = nested_arrays(x)
        self.y = nested_arrays(y)
        self.sample_weight = nested_arrays(sample_weight)
        sizes = {}
        for label, part in (("x", self.x), ("y", self.y), ("sample_weight", self.sample_weight)):
            if part is None:
                continue
            for leaf in tree.flatten(part):
                if not hasattr(leaf, "shape") or not leaf.shape:
                    raise ValueError(f"{caller}: expected arrays for `{label}`, received {leaf!r}")
                sizes.setdefault(label, set()).add(leaf.shape[0])
        all_sizes = set().union(*sizes.values())
        if len(all_sizes) > 1:
            detail = ", ".join(f"{k} with {sorted(v)}" for k, v in sizes.items())
            raise ValueError(
                f"{caller}: expected x, y and sample_weight with the same number of samples, "
                f"received {detail}"
            )
        if not all_sizes:
            raise ValueError(f"{caller}: expected data in `x`, received None")
        self.n = all_sizes.pop()
        if class_weight is not None:
            self.sample_weight = _apply_class_weight(self.y, self.sample_weight, class_weight,
                                                     caller)
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.steps = steps
        full = math.ceil(self.n / self.batch_size) if self.n else 0
        self.num_batches = steps if steps is not None else full
        self._cursor = 0
        self._order = None

    def _new_order(self):
        if self.shuffle == "batch":
            starts = np.arange(0, self.n, self.batch_size)
            backend.rng().shuffle(starts)
            return np.concatenate([np.arange(s, min(s + self.batch_size, self.n))
                                   for s in starts])
        if self.shuffle:
            return backend.rng().permutation(self.n)
        return None

    def epoch(self):
        if self.steps is None:
            order = self._new_order()
            for start in range(0, self.n, self.batch_size):
                yield self._batch(order, start, min(start + self.batch_size, self.n))
            return
        # A fixed number of steps: continue through the data across epochs.
        for _ in range(self.steps):
            if self._order is None or self._cursor >= self.n:
                self._order, self._cursor = self._new_order(), 0
            end = min(self._cursor + self.batch_size, self.n)
            yield self._batch(self._order, self._cursor, end)
            self._cursor = end

    def _batch(self, order, start, end):
        if order is None:
            def take(a):
                return a[start:end]
        else:
            idx = order[start:end]

            def take(a):
                return a[idx]

        return (_map(take, self.x), _map(take, self.y), _map(take, self.sample_weight))


def _map(fn, data):
    if data is None:
        return None
    if isinstance(data, np.ndarray):
        return fn(data)
    return tree.map_structure(fn, data)


def _apply_class_weight(y, sample_weight, class_weight, caller):
    if y is None or isinstance(y, (list, tuple, dict)):
        raise ValueError(
            f"{caller}: `class_weight` needs a single array of targets `y`, received {type(y)}"
        )
    labels = y.argmax(axis=-1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(len(y), -1)[:, 0]
    labels = labels.astype(np.int64)
    missing = sorted(set(np.unique(labels).tolist()) - set(int(k) for k in class_weight))
    if missing:
        raise ValueError(
            f"{caller}: `class_weight` has no weight for classes {missing}; "
            f"received weights for {sorted(class_weight)}"
        )
    lookup = np.zeros(int(labels.max()) + 1, dtype=np.float32)
    for k, w in class_weight.items():
        if int(k) < lookup.size:
            lookup[int(k)] = w
    weights = lookup[labels]
    return weights if sample_weight is None else sample_weight * weights


def _split_batch(batch, class_weight=None):
    """``(x, y, sample_weight)`` from a batch yielded by a generator or PyDataset."""
    if isinstance(batch, tuple) and 1 <= len(batch) <= 3:
        x = batch[0]
        y = batch[1] if len(batch) > 1 else None
        sw = batch[2] if len(batch) > 2 else None
    else:
        x, y, sw = batch, None, None
    x, y, sw = nested_arrays(x), nested_arrays(y), nested_arrays(sw)
    if class_weight is not None:
        sw = _apply_class_weight(y, sw, class_weight, "fit")
    return x, y, sw


class GeneratorAdapter(DataAdapter):
    """Batches from a generator (read until exhausted, or ``steps`` per epoch) or from an
    iterable that restarts each epoch."""

    def __init__(self, source, steps, class_weight):
        self.source = source
        self.steps = steps
        self.class_weight = class_weight
        self.one_shot = inspect.isgenerator(source) or hasattr(source, "__next__")
        self._iterator = iter(source) if self.one_shot else None
        self.num_batches = steps if steps is not None else _len_or_none(source)

    def epoch(self):
        iterator = self._iterator if self.one_shot else iter(self.source)
        count = 0
        while self.steps is None or count < self.steps:
            try:
                batch = next(iterator)
            except StopIteration:
                if count == 0 and self.one_shot:
                    raise ValueError(
                        "The generator ran out of data; pass `steps_per_epoch` and a "
                        "generator that loops forever to train for several epochs"
                    ) from None
                return
            count += 1
            yield _split_batch(batch, self.class_weight)


def _len_or_none(source):
    try:
        return len(source)
    except TypeError:
        return None


class PyDatasetAdapter(DataAdapter):
    """Batches ``dataset[i]`` for ``i`` in ``range(len(dataset))``, prefetched by the
    dataset's worker threads; ``on_epoch_end`` after each epoch."""

    def __init__(self, dataset, steps, class_weight):
        self.dataset = dataset
        self.steps = steps
        self.class_weight = class_weight
        self.num_batches = steps if steps is not None else dataset.num_batches

    def epoch(self):
        from ember.utils.py_dataset import iterate_batches

        self.dataset.on_epoch_begin()
        for i, batch in enumerate(iterate_batches(self.dataset)):
            if self.steps is not None and i >= self.steps:
                break
            yield _split_batch(batch, self.class_weight)

    def on_epoch_end(self) -> None:
        self.dataset.on_epoch_end()


def train_validation_split(arrays, validation_split: float):
    """Split nested arrays into the first ``1 - validation_split`` and the last part, as
    Keras does (before any shuffling)."""
    if not 0.0 < validation_split < 1.0:
        raise ValueError(
            f"fit: expected validation_split in (0, 1), received {validation_split}"
        )
    flat = [a for a in tree.flatten(arrays) if a is not None]
    n = flat[0].shape[0]
    cut = int(n * (1.0 - validation_split))
    if cut == 0 or cut == n:
        raise ValueError(
            f"fit: validation_split={validation_split} leaves an empty split of {n} samples"
        )

    def head(a):
        return None if a is None else a[:cut]

    def tail(a):
        return None if a is None else a[cut:]

    return (tree.map_structure(head, arrays), tree.map_structure(tail, arrays))
