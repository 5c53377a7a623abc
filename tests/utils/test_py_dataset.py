"""PyDataset and iterate_batches: order, prefetch bounds, errors, early stop, endless data."""

import random
import threading
import time

import numpy as np
import pytest

from ember.utils.py_dataset import PyDataset, iterate_batches


class Numbers(PyDataset):
    """Batch ``i`` is ``(arange(i*b, (i+1)*b), i)``; records which thread built which batch."""

    def __init__(self, n_batches=8, batch_size=4, delay=0.0, fail_at=None, **kwargs):
        super().__init__(**kwargs)
        self.n_batches = n_batches
        self.batch_size = batch_size
        self.delay = delay
        self.fail_at = fail_at
        self.started = []
        self.threads = set()
        self.lock = threading.Lock()

    def __len__(self):
        return self.n_batches

    def __getitem__(self, index):
        with self.lock:
            self.started.append(index)
            self.threads.add(threading.current_thread().name)
        if self.delay:
            time.sleep(random.uniform(0, self.delay))
        if index == self.fail_at:
            raise ValueError(f"broken batch {index}")
        start = index * self.batch_size
        return np.arange(start, start + self.batch_size), index


class Endless(PyDataset):
    """Unknown length: ``IndexError`` marks the end."""

    def __init__(self, stop_at, **kwargs):
        super().__init__(**kwargs)
        self.stop_at = stop_at

    @property
    def num_batches(self):
        return None

    def __getitem__(self, index):
        if index >= self.stop_at:
            raise IndexError(index)
        return index


def worker_threads():
    return [t for t in threading.enumerate() if "-worker" in t.name]


def test_defaults_and_protocol():
    data = Numbers()
    assert (data.workers, data.use_multiprocessing, data.max_queue_size) == (1, False, 10)
    assert data.num_batches == len(data) == 8
    assert data.on_epoch_begin() is None and data.on_epoch_end() is None
    x, y = data[2]
    assert y == 2 and x.tolist() == [8, 9, 10, 11]


def test_in_order_single_worker_runs_in_caller_thread():
    data = Numbers()
    batches = list(iterate_batches(data))
    assert [y for _, y in batches] == list(range(8))
    assert data.threads == {threading.current_thread().name}


def test_workers_prefetch_in_order_on_several_threads():
    random.seed(0)
    data = Numbers(n_batches=40, delay=0.01, workers=4, max_queue_size=8)
    batches = list(iterate_batches(data))
    assert [y for _, y in batches] == list(range(40))
    assert np.array_equal(np.concatenate([x for x, _ in batches]), np.arange(160))
    assert len(data.threads) > 1 and threading.current_thread().name not in data.threads
    assert sorted(data.started) == list(range(40))
    assert worker_threads() == []


def test_queue_is_bounded_by_max_queue_size():
    data = Numbers(n_batches=30, workers=3, max_queue_size=4)
    consumed = 0
    most_ahead = 0
    for _ in iterate_batches(data):
        consumed += 1
        time.sleep(0.005)  # a slow consumer: the workers run ahead as far as allowed
        most_ahead = max(most_ahead, len(data.started) - consumed)
    assert most_ahead == 4
    assert consumed == 30


def test_worker_exception_is_raised_in_the_caller_at_its_batch():
    data = Numbers(n_batches=10, workers=3, fail_at=5)
    received = []
    with pytest.raises(ValueError, match="broken batch 5"):
        for _, y in iterate_batches(data):
            received.append(y)
    assert received == [0, 1, 2, 3, 4]
    assert worker_threads() == []


def test_early_stop_cancels_pending_batches_and_joins_threads():
    data = Numbers(n_batches=1000, delay=0.002, workers=4, max_queue_size=5)
    gen = iterate_batches(data)
    for step, _ in enumerate(gen):
        assert worker_threads() != []
        if step == 2:
            break
    gen.close()
    assert worker_threads() == []
    assert len(data.started) <= 3 + 5


def test_endless_dataset_ends_at_index_error():
    assert list(iterate_batches(Endless(5))) == [0, 1, 2, 3, 4]
    assert list(iterate_batches(Endless(7, workers=3, max_queue_size=3))) == list(range(7))
    assert worker_threads() == []


def test_index_error_in_a_sized_dataset_propagates():
    class Short(Numbers):
        def __getitem__(self, index):
            if index == 3:
                raise IndexError("batch 3 is missing")
            return index

    with pytest.raises(IndexError, match="batch 3 is missing"):
        list(iterate_batches(Short()))
    with pytest.raises(IndexError, match="batch 3 is missing"):
        list(iterate_batches(Short(workers=2)))


def test_use_multiprocessing_falls_back_to_threads_with_a_warning():
    data = Numbers(n_batches=5, use_multiprocessing=True)
    with pytest.warns(UserWarning, match="use_multiprocessing=True builds batches on threads"):
        batches = list(iterate_batches(data))
    assert [y for _, y in batches] == list(range(5))
    assert threading.current_thread().name not in data.threads


@pytest.mark.parametrize("kwargs, message", [
    ({"workers": 0}, "Numbers: expected workers to be a positive integer, received workers=0"),
    ({"workers": 2.0}, "received workers=2.0"),
    ({"max_queue_size": -1}, "expected max_queue_size to be a positive integer"),
])
def test_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Numbers(**kwargs)


def test_subclass_errors():
    class NoGetItem(PyDataset):
        def __len__(self):
            return 1

    with pytest.raises(TypeError, match="abstract"):
        NoGetItem()

    class NoLength(PyDataset):
        def __getitem__(self, index):
            return index

    with pytest.raises(TypeError, match="NoLength: expected a __len__ method or a "
                                        "num_batches property"):
        _ = NoLength().num_batches
    with pytest.raises(TypeError, match="iterate_batches: expected a PyDataset, received list"):
        iterate_batches([1, 2])


def test_missing_super_init_warns_and_uses_defaults():
    class Forgetful(PyDataset):
        def __init__(self):
            self.items = [1, 2, 3]

        def __len__(self):
            return 3

        def __getitem__(self, index):
            return self.items[index]

    data = Forgetful()
    assert data.workers == 1 and data.max_queue_size == 10
    with pytest.warns(UserWarning, match=r"should call `super\(\).__init__\(\*\*kwargs\)`"):
        assert list(iterate_batches(data)) == [1, 2, 3]
