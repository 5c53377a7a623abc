"""The convolution tests use the op harness (tests/ops) and the layer contract
(tests/layers): put both folders on ``sys.path``."""

import sys
from pathlib import Path

_TESTS = Path(__file__).resolve().parents[1]
for _folder in ("ops", "layers"):
    _path = str(_TESTS / _folder)
    if _path not in sys.path:
        sys.path.insert(0, _path)
