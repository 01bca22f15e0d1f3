"""Domain tests: keep hypothesis's files out of the working tree.

Hypothesis keeps an example database and caches under ``.hypothesis/`` in the current
directory; the domain's property tests are derandomised and need neither, so this
session points hypothesis at a throw-away directory instead.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile

from hypothesis.configuration import set_hypothesis_home_dir

_HOME = tempfile.mkdtemp(prefix="sigap-hypothesis-")
set_hypothesis_home_dir(_HOME)
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
