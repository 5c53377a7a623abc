"""Loads the recurrent-network programs of ``examples/`` as modules, so the tests exercise the
examples' own data generators, models and samplers.

Tests import it as ``from rnn_examples import load_example`` (pytest puts this folder on
``sys.path``; the tests folders have no ``__init__.py``)."""

import importlib.util
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load_example(name: str):
    """The module of ``examples/<name>.py``."""
    spec = importlib.util.spec_from_file_location(f"rnn_example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
