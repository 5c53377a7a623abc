"""``PyDataset``: a dataset as a sequence of batches, as ``keras.utils.PyDataset``.

A subclass says how many batches there are (``__len__``) and how to build batch ``i``
(``__getitem__``). ``iterate_batches`` reads one epoch of them in order, building the next
ones on a pool of threads while the model trains on the current one.
"""

from __future__ import annotations

import abc
import collections
import concurrent.futures
import itertools
import warnings


class PyDataset(abc.ABC):
    """Base class for datasets that build their batches in Python.

    Implement ``__getitem__(index)`` to return batch ``index`` (a tuple ``(x, y)`` or
    ``(x, y, sample_weight)``) and ``__len__()`` to return the number of batches; or,
    for an endless dataset, override ``num_batches`` to return ``None`` and raise
    ``IndexError`` from ``__getitem__`` when the data runs out. ``on_epoch_begin`` and
    ``on_epoch_end`` are called by ``fit`` around each epoch (to shuffle, for instance).

    Args:
        workers: Number of threads that build batches ahead of the training loop. With
            1 (the default) batches are built in the caller's thread, when asked for.
        use_multiprocessing: Accepted for Keras compatibility. ember builds batches on
            threads in every case (a process pool would have to pickle the dataset), so
            ``True`` falls back to threads with a warning. NumPy releases the GIL in its
            array work, so threads overlap loading and augmentation with training.
        max_queue_size: Most batches built ahead and waiting to be consumed.

    Example:
        >>> import numpy as np
        >>> from ember.utils.py_dataset import PyDataset, iterate_batches
        >>> class Squares(PyDataset):
        ...     def __init__(self, n, batch_size, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.x = np.arange(n, dtype="float32")
        ...         self.batch_size = batch_size
        ...     def __len__(self):
        ...         return -(-len(self.x) // self.batch_size)
        ...     def __getitem__(self, index):
        ...         x = self.x[index * self.batch_size:(index + 1) * self.batch_size]
        ...         return x, x ** 2
        >>> data = Squares(10, batch_size=4, workers=2)
        >>> [len(x) for x, y in iterate_batches(data)]
        [4, 4, 2]
    """

    def __init__(self, workers: int = 1, use_multiprocessing: bool = False,
                 max_queue_size: int = 10):
        self.workers = workers
        self.use_multiprocessing = use_multiprocessing
        self.max_queue_size = max_queue_size

    @property
    def workers(self) -> int:
        return self.__dict__.get("_workers", 1)

    @workers.setter
    def workers(self, value: int) -> None:
        self._workers = _positive_int(self, "workers", value)

    @property
    def use_multiprocessing(self) -> bool:
        return self.__dict__.get("_use_multiprocessing", False)

    @use_multiprocessing.setter
    def use_multiprocessing(self, value: bool) -> None:
        self._use_multiprocessing = bool(value)

    @property
    def max_queue_size(self) -> int:
        return self.__dict__.get("_max_queue_size", 10)

    @max_queue_size.setter
    def max_queue_size(self, value: int) -> None:
        self._max_queue_size = _positive_int(self, "max_queue_size", value)

    @abc.abstractmethod
    def __getitem__(self, index: int):
        """Batch number ``index``: a tuple ``(x, y)`` or ``(x, y, sample_weight)``."""

    @property
    def num_batches(self) -> int | None:
        """Number of batches in an epoch (``len(self)``), or ``None`` for endless data."""
        if hasattr(self, "__len__"):
            return len(self)
        raise TypeError(
            f"{type(self).__name__}: expected a __len__ method or a num_batches property "
            "(returning None for an endless dataset), received neither"
        )

    def on_epoch_begin(self) -> None:  # noqa: B027 - an optional hook, empty by default
        """Called at the beginning of every epoch."""

    def on_epoch_end(self) -> None:  # noqa: B027 - an optional hook, empty by default
        """Called at the end of every epoch."""


def iterate_batches(dataset: PyDataset):
    """Yield the batches of one epoch of ``dataset`` in order.

    With ``workers > 1`` (or ``use_multiprocessing``) up to ``max_queue_size`` batches are
    built ahead on a thread pool, and handed out in index order whatever order they finish
    in. An exception raised while building a batch is raised here, when that batch is
    reached. Closing the generator early (``break`` out of a loop, or ``close()``) cancels
    the batches not yet started and waits for the threads to finish. The epoch hooks
    ``on_epoch_begin`` / ``on_epoch_end`` are the caller's to call.
    """
    if not isinstance(dataset, PyDataset):
        raise TypeError(
            f"iterate_batches: expected a PyDataset, received {type(dataset).__name__}"
        )
    if "_workers" not in dataset.__dict__:
        warnings.warn(
            f"{type(dataset).__name__} should call `super().__init__(**kwargs)` in its "
            "constructor; `**kwargs` can include `workers`, `use_multiprocessing` and "
            "`max_queue_size`.",
            stacklevel=2,
        )
    num_batches = dataset.num_batches
    indices = itertools.count() if num_batches is None else iter(range(num_batches))
    if dataset.use_multiprocessing:
        warnings.warn(
            f"{type(dataset).__name__}: use_multiprocessing=True builds batches on threads "
            "in ember (a process pool would have to pickle the dataset)",
            stacklevel=2,
        )
    if dataset.workers > 1 or dataset.use_multiprocessing:
        return _prefetched(dataset, indices, endless=num_batches is None)
    return _in_order(dataset, indices, endless=num_batches is None)


def _in_order(dataset, indices, endless):
    for index in indices:
        try:
            batch = dataset[index]
        except IndexError:
            if endless:
                return
            raise
        yield batch


def _prefetched(dataset, indices, endless):
    executor = concurrent.futures.ThreadPoolExecutor(
        max_workers=dataset.workers, thread_name_prefix=f"{type(dataset).__name__}-worker"
    )
    # Futures in index order: at most max_queue_size batches are built or waiting.
    pending = collections.deque(
        executor.submit(dataset.__getitem__, index)
        for index in itertools.islice(indices, dataset.max_queue_size)
    )
    try:
        while pending:
            try:
                batch = pending.popleft().result()
            except IndexError:
                if endless:
                    return
                raise
            for index in itertools.islice(indices, 1):
                pending.append(executor.submit(dataset.__getitem__, index))
            yield batch
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def _positive_int(dataset, name, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            f"{type(dataset).__name__}: expected {name} to be a positive integer, "
            f"received {name}={value!r}"
        )
    return value
