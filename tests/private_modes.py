"""Checking that files holding personal data are 0640 in 0750 folders whatever the umask
(issue 15, point 6): a umask for the duration of a block, and the paths under a folder
whose mode is looser or tighter than that."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

FILE_MODE = 0o640
DIR_MODE = 0o750


@contextmanager
def umask(mask: int) -> Iterator[None]:
    """Run the block under ``mask`` (the process's umask), restored afterwards."""
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def wrong_modes(root: Path, *, include_root: bool = True) -> list[str]:
    """Every folder under ``root`` that is not 0750 and every file that is not 0640, as
    ``"relative/path 0o644"`` (empty: all as they should be)."""
    root = Path(root)
    paths = [root] if include_root else []
    paths += sorted(root.rglob("*"))
    out = []
    for path in paths:
        st = path.lstat()
        want = DIR_MODE if stat.S_ISDIR(st.st_mode) else FILE_MODE
        if stat.S_IMODE(st.st_mode) != want:
            out.append(f"{path.relative_to(root.parent)} {oct(stat.S_IMODE(st.st_mode))}")
    return out
