"""Keep freed array memory in the process for reuse (glibc only).

NumPy allocates every array of 128 KiB or more with ``malloc``, and glibc serves such
requests with a fresh ``mmap`` and returns them to the system on ``free`` (its dynamic
threshold never rises above a size that is requested again and again). A training step
allocates and frees the same large activations and gradients at every step, so each one is
faulted in page by page every time: on a virtual machine that costs about a millisecond
per 3 MB, and measured 18-19% of the step time of the convolutional and LSTM benchmarks
(``benchmarks/cnn_step.py``, ``benchmarks/lstm_step.py``, one thread).

``tune()`` raises glibc's mmap threshold to 64 MiB and its trim threshold to 256 MiB, so
that blocks below 64 MiB come from the heap and freed memory stays there for the next
step (what PyTorch's and TensorFlow's caching allocators achieve on their own). The cost:
the process keeps up to its peak working set. ``import ember`` calls it; set the
environment variable ``EMBER_MALLOC_TUNING=0`` before the import to leave ``malloc`` alone.
"""

from __future__ import annotations

import ctypes
import os
import sys

MMAP_THRESHOLD = 64 << 20
TRIM_THRESHOLD = 256 << 20
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters
_state = {"tuned": False}


def tune() -> bool:
    """Set glibc's thresholds (see the module docstring); True when they were set."""
    if _state["tuned"]:
        return True
    if os.environ.get("EMBER_MALLOC_TUNING", "1").strip().lower() in ("0", "false", "no"):
        return False
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library the interpreter runs on
    except (OSError, AttributeError):  # musl and other C libraries have no mallopt
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    _state["tuned"] = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                           and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return _state["tuned"]


def is_tuned() -> bool:
    """Whether ``tune()`` has set the thresholds in this process."""
    return _state["tuned"]
