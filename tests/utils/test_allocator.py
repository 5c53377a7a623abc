"""ember._allocator: glibc's malloc thresholds raised at import, unless opted out."""

import os
import platform
import subprocess
import sys

import pytest

import ember  # noqa: F401  (the import tunes malloc)
from ember import _allocator

GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"


def _tuned_in_child(**env) -> str:
    code = "import ember, ember._allocator as a; print(a.is_tuned())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, **env})
    return out.stdout.strip()


@pytest.mark.skipif(not GLIBC, reason="mallopt tuning applies to glibc only")
def test_import_tunes_malloc_on_glibc():
    assert _allocator.is_tuned() == (os.environ.get("EMBER_MALLOC_TUNING", "1") != "0")
    assert _tuned_in_child(EMBER_MALLOC_TUNING="1") == "True"


def test_environment_variable_opts_out():
    assert _tuned_in_child(EMBER_MALLOC_TUNING="0") == "False"
