"""``Progbar``: the progress display of ``fit``, ``evaluate`` and ``predict``.

On a terminal it draws a live bar (with tqdm when it is installed, else a plain
carriage-return bar); in a log file or a pipe it writes one line when the work is done, so
logs hold one line per epoch instead of one per redraw. The line is Keras's:
``469/469 - 3s - 6ms/step - accuracy: 0.9213 - loss: 0.2761 - val_accuracy: ...``.
"""

from __future__ import annotations

import math
import numbers
import sys
import time

import numpy as np

try:  # tqdm is optional (``pip install ember[progress]``): without it a plain bar is drawn.
    from tqdm import tqdm
except ImportError:
    tqdm = None


class Progbar:
    """Displays a progress bar with running averages of metrics, as ``keras.utils.Progbar``.

    Values passed to ``update`` are averaged over the steps they cover, except those named
    in ``stateful_metrics``, which are shown as given. As in Keras 3, the values of the
    final update (the epoch's own results in ``fit``) are shown as given too.

    Args:
        target: Total number of steps expected, ``None`` if unknown.
        width: Width of the bar in characters.
        verbose: 0 prints nothing; 1 draws a live bar on a terminal and one line at the
            end otherwise; 2 prints one line at the end.
        interval: Minimum time in seconds between two redraws of the live bar.
        stateful_metrics: Names of values shown as-is instead of averaged.
        unit_name: Name of a step in the display (``"step"`` or ``"sample"``).

    Example:
        >>> from ember.utils.progbar import Progbar
        >>> bar = Progbar(target=3, verbose=2)
        >>> bar.update(1, values=[("loss", 1.0)])
        >>> bar.update(2, values=[("loss", 0.5)])
        >>> bar.update(3, values=[("loss", 0.25), ("accuracy", 0.9)])  # doctest: +ELLIPSIS
        3/3 - 0s - ...step - loss: 0.2500 - accuracy: 0.9000
    """

    def __init__(self, target: int | None, width: int = 20, verbose: int = 1,
                 interval: float = 0.05, stateful_metrics=None, unit_name: str = "step"):
        if verbose not in (0, 1, 2):
            raise ValueError(
                f"Progbar: expected verbose in (0, 1, 2), received verbose={verbose!r}"
            )
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.stateful_metrics = set(stateful_metrics or ())
        self.unit_name = unit_name
        self._dynamic_display = _is_interactive()
        self._values: dict = {}  # name -> [sum of value * steps, steps]
        self._values_order: list = []
        self._seen_so_far = 0
        self._start = time.time()
        self._last_update = 0.0
        self._time_after_first_step = None
        self._bar = None  # the live tqdm bar, once drawn
        self._prev_width = 0  # width of the last plain bar, to blank what it leaves

    def update(self, current: int, values=None, finalize: bool | None = None) -> None:
        """Move the bar to step ``current``.

        Args:
            current: Index of the current step (1-based: the number of steps done).
            values: List of ``(name, value_for_last_step)`` pairs.
            finalize: Whether this is the last update; defaults to ``current >= target``.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        self._accumulate(current, values or (), finalize)
        self._seen_so_far = current
        now = time.time()
        time_per_unit = self._estimate_step_duration(current, now)
        if self.verbose == 1 and self._dynamic_display:
            if now - self._last_update < self.interval and not finalize:
                return
            if tqdm is not None:
                self._draw_tqdm(current, now, time_per_unit, finalize)
            else:
                self._draw_plain(current, now, time_per_unit, finalize)
        elif self.verbose and finalize:
            sys.stdout.write(self._summary_line(current, now, time_per_unit) + "\n")
            sys.stdout.flush()
        self._last_update = now

    def add(self, n: int, values=None) -> None:
        """Advance the bar by ``n`` steps."""
        self.update(self._seen_so_far + n, values)

    # ---- values ------------------------------------------------------------------------
    def _accumulate(self, current, values, finalize):
        for name, value in values:
            if name not in self._values_order:
                self._values_order.append(name)
            if name in self.stateful_metrics or finalize:
                # The final values are the epoch's own results: shown as given.
                self._values[name] = [value, 1]
                continue
            steps = max(current - self._seen_so_far, 1)
            if name in self._values:
                self._values[name][0] += value * steps
                self._values[name][1] += steps
            else:
                self._values[name] = [value * steps, steps]

    def _metrics_text(self) -> str:
        parts = []
        for name in self._values_order:
            total, steps = self._values[name]
            parts.append(f" - {name}: {_format_value(total, steps)}")
        return "".join(parts)

    # ---- output ------------------------------------------------------------------------
    def _summary_line(self, current, now, time_per_unit) -> str:
        """``469/469 - 3s - 6ms/step - accuracy: 0.9213 - loss: 0.2761``."""
        return (f"{self._count(current)} - {now - self._start:.0f}s - "
                f"{_format_time(time_per_unit, self.unit_name)}{self._metrics_text()}")

    def _count(self, current) -> str:
        if self.target:
            digits = int(math.log10(self.target)) + 1
            return f"{current:>{digits}}/{self.target}"
        return f"{current}/Unknown"

    def _draw_tqdm(self, current, now, time_per_unit, finalize):
        if finalize:
            # The live bar is trimmed to the terminal's width; the summary line that
            # replaces it holds every metric.
            if self._bar is not None:
                self._bar.close()
                self._bar = None
            sys.stdout.write(self._summary_line(current, now, time_per_unit) + "\n")
            sys.stdout.flush()
            return
        if self._bar is None:
            if self.target:
                bar_format = ("{n_fmt}/{total_fmt} |{bar:" + str(self.width)
                              + "}| {elapsed}<{remaining}{postfix}")
            else:
                bar_format = "{n_fmt}/Unknown {elapsed}{postfix}"
            self._bar = tqdm(total=self.target or None, file=sys.stdout, unit=self.unit_name,
                             bar_format=bar_format, dynamic_ncols=True, mininterval=0,
                             leave=False)
        self._bar.n = current
        info = _format_time(time_per_unit, self.unit_name) + self._metrics_text()
        self._bar.set_postfix_str(info, refresh=True)

    def _draw_plain(self, current, now, time_per_unit, finalize):
        line = self._count(current)
        if self.target:
            done = int(self.width * min(current / self.target, 1.0))
            arrow = ">" if done < self.width else ""
            line += " [" + "=" * done + arrow + "." * (self.width - done - len(arrow)) + "]"
        if self.target and not finalize:
            line += f" - ETA: {_format_eta(time_per_unit * (self.target - current))}"
        else:
            line += f" - {now - self._start:.0f}s"
        line += f" - {_format_time(time_per_unit, self.unit_name)}{self._metrics_text()}"
        padding = " " * max(self._prev_width - len(line), 0)
        sys.stdout.write("\r" + line + padding + ("\n" if finalize else ""))
        sys.stdout.flush()
        self._prev_width = 0 if finalize else len(line)

    def _estimate_step_duration(self, current, now) -> float:
        """Seconds per step, leaving out the first step (compilation, warm-up) once there
        are later steps to measure."""
        if not current:
            return 0.0
        if self._time_after_first_step is not None and current > 1:
            time_per_unit = (now - self._time_after_first_step) / (current - 1)
        else:
            time_per_unit = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return time_per_unit


def _is_interactive() -> bool:
    """Whether stdout redraws in place: a terminal or a Jupyter kernel."""
    isatty = getattr(sys.stdout, "isatty", None)
    return bool(isatty and isatty()) or "ipykernel" in sys.modules


def _format_value(total, steps) -> str:
    if not isinstance(total, numbers.Number):
        total = float(np.mean(total))
    avg = total / max(1, steps)
    return f"{avg:.4f}" if abs(avg) > 1e-3 else f"{avg:.4e}"


def _format_time(time_per_unit: float, unit_name: str) -> str:
    if time_per_unit >= 1 or time_per_unit == 0:
        return f"{time_per_unit:.0f}s/{unit_name}"
    if time_per_unit >= 1e-3:
        return f"{time_per_unit * 1e3:.0f}ms/{unit_name}"
    return f"{time_per_unit * 1e6:.0f}us/{unit_name}"


def _format_eta(eta: float) -> str:
    if eta > 3600:
        return f"{int(eta // 3600)}:{int(eta % 3600 // 60):02d}:{int(eta % 60):02d}"
    if eta > 60:
        return f"{int(eta // 60)}:{int(eta % 60):02d}"
    return f"{eta:.0f}s"
