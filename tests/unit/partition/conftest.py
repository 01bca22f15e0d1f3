"""Partition tests: keep hypothesis's files out of the working tree (as the domain tests do).

The property tests are derandomised and use no example database; hypothesis is still
pointed at a throw-away directory so that nothing lands in ``.hypothesis/``.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile

from hypothesis.configuration import set_hypothesis_home_dir

_HOME = tempfile.mkdtemp(prefix="sigap-hypothesis-")
set_hypothesis_home_dir(_HOME)
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
