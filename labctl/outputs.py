"""Folders and files a user names for output (`--out`, `--write-bench`, `--db`'s folder):
any problem writing there (missing or unwritable folder, a file where a folder should be)
is one `OutputError` naming the path, never a traceback."""

from __future__ import annotations

import errno
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from labctl.errors import OutputError


@contextmanager
def writing(path: str | os.PathLike, what: str) -> Iterator[Path]:
    """Write `what` at `path` inside the block; an OSError becomes OutputError."""
    try:
        yield Path(path)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if isinstance(exc, NotADirectoryError) or (
                isinstance(exc, FileExistsError) and not Path(path).is_dir()):
            reason = "a file stands where a folder is needed"
        raise OutputError(f"{path}: cannot write the {what}: {reason}") from exc


def output_folder(path: str | os.PathLike, what: str = "output folder") -> Path:
    """`path` as an existing folder this process can write in (created if missing), so
    that long work does not end in an unwritable place."""
    with writing(path, what) as folder:
        folder.mkdir(parents=True, exist_ok=True)
        if not os.access(folder, os.W_OK | os.X_OK):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
    return folder
