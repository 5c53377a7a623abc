"""Progbar: Keras's averaging and line format; a live bar (tqdm or plain) only on a terminal."""

import re
import sys

import pytest

from ember.utils import progbar as progbar_module
from ember.utils.progbar import Progbar

TIME = r"\d+s - \d+(us|ms|s)/step"


@pytest.fixture
def terminal(capsys, monkeypatch):
    """Make the captured stdout claim to be a terminal. Patched on the class: pytest swaps
    the stdout object between fixture setup and the test."""
    monkeypatch.setattr(type(sys.stdout), "isatty", lambda self: True)


def test_not_a_terminal_prints_one_line_at_the_end(capsys):
    bar = Progbar(target=10)
    for step in range(1, 10):
        bar.update(step, [("loss", 0.5), ("accuracy", 0.75)])
    assert capsys.readouterr().out == ""
    bar.update(10, [("loss", 0.2761), ("accuracy", 0.9213), ("val_loss", 0.3)])
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "\r" not in out
    assert re.fullmatch(
        rf"10/10 - {TIME} - loss: 0.2761 - accuracy: 0.9213 - val_loss: 0.3000\n", out)


def test_verbose_two_prints_one_line_even_on_a_terminal(terminal, capsys):
    bar = Progbar(target=3, verbose=2, interval=0.0)
    bar.update(1, [("loss", 1.0)])
    bar.update(2, [("loss", 1.0)])
    assert capsys.readouterr().out == ""
    bar.update(3, [("loss", 0.5)])
    assert re.fullmatch(rf"3/3 - {TIME} - loss: 0.5000\n", capsys.readouterr().out)


@pytest.mark.parametrize("tty", [False, True])
def test_verbose_zero_prints_nothing(tty, monkeypatch, capsys):
    monkeypatch.setattr(type(sys.stdout), "isatty", lambda self: tty)
    bar = Progbar(target=2, verbose=0, interval=0.0)
    bar.update(1, [("loss", 1.0)])
    bar.update(2, [("loss", 1.0)])
    assert capsys.readouterr().out == ""


def test_values_averaged_over_steps_and_stateful_shown_as_is(terminal, monkeypatch, capsys):
    monkeypatch.setattr(progbar_module, "tqdm", None)
    bar = Progbar(target=10, interval=0.0, stateful_metrics=["lr"])
    bar.update(1, [("loss", 1.0), ("lr", 0.1)])
    bar.update(3, [("loss", 0.5), ("lr", 0.05)])  # covers 2 steps
    out = capsys.readouterr().out
    last = out.split("\r")[-1]
    assert "loss: 0.6667" in last  # (1.0 * 1 + 0.5 * 2) / 3
    assert "lr: 0.0500" in last
    bar.update(10, [("loss", 0.25)])  # the final values are shown as given
    assert "loss: 0.2500" in capsys.readouterr().out.split("\r")[-1]


def test_plain_terminal_bar_without_tqdm(terminal, monkeypatch, capsys):
    monkeypatch.setattr(progbar_module, "tqdm", None)
    bar = Progbar(target=4, width=8, interval=0.0)
    bar.update(2, [("loss", 1.0)])
    out = capsys.readouterr().out
    assert re.fullmatch(r"\r2/4 \[====>\.\.\.\] - ETA: \d+s - \d+(us|ms|s)/step - loss: 1.0000",
                        out)
    bar.update(4, [("loss", 0.5)])
    out = capsys.readouterr().out
    assert re.fullmatch(rf"\r4/4 \[========\] - {TIME} - loss: 0.5000\s*\n", out)


def test_terminal_bar_drawn_with_tqdm(terminal, monkeypatch, capsys):
    pytest.importorskip("tqdm")
    made = []

    class RecordingTqdm(progbar_module.tqdm):
        def __init__(self, *args, **kwargs):
            made.append(kwargs)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(progbar_module, "tqdm", RecordingTqdm)
    bar = Progbar(target=5, interval=0.0)
    for step in range(1, 6):
        bar.update(step, [("loss", 0.5)])
    out = capsys.readouterr().out
    assert len(made) == 1 and made[0]["total"] == 5 and made[0]["file"] is sys.stdout
    assert re.search(r"\r3/5 \|.+\| \d\d:\d\d<\d\d:\d\d, \d+(us|ms|s)/step - loss: 0.5000", out)
    # The live bar is cleared and the full summary line takes its place.
    final = out.split("\r")[-1]
    assert re.fullmatch(rf"5/5 - {TIME} - loss: 0.5000\n", final)


def test_interval_limits_redraws(terminal, monkeypatch, capsys):
    monkeypatch.setattr(progbar_module, "tqdm", None)
    bar = Progbar(target=100, interval=60.0)
    for step in range(1, 100):
        bar.update(step, [("loss", 1.0)])
    assert capsys.readouterr().out.count("\r") == 1  # the first update only
    bar.update(100, [("loss", 1.0)])
    assert capsys.readouterr().out.count("\n") == 1


def test_unknown_target_add_and_small_values(capsys):
    bar = Progbar(target=None)
    bar.add(3, [("loss", 1e-4)])
    bar.add(4, [("loss", 1e-4)])
    assert bar._seen_so_far == 7 and capsys.readouterr().out == ""
    bar.update(7, [("loss", 1e-4)], finalize=True)
    assert re.fullmatch(rf"7/Unknown - {TIME} - loss: 1.0000e-04\n", capsys.readouterr().out)


def test_invalid_verbose():
    with pytest.raises(ValueError, match="Progbar: expected verbose in \\(0, 1, 2\\), "
                                         "received verbose=3"):
        Progbar(target=1, verbose=3)


@pytest.mark.parametrize("seconds, text", [(2.4, "2s/step"), (0.0061, "6ms/step"),
                                           (5e-6, "5us/step"), (0.0, "0s/step")])
def test_time_per_step_format(seconds, text):
    assert progbar_module._format_time(seconds, "step") == text


@pytest.mark.parametrize("seconds, text", [(12, "12s"), (125, "2:05"), (3725, "1:02:05")])
def test_eta_format(seconds, text):
    assert progbar_module._format_eta(seconds) == text
