"""Writing the files an import leaves behind: whole or not at all, with the user's usual mode."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
_TRIES = 100


def _create_beside(path: Path) -> tuple[int, Path]:
    """A new, empty temporary file in `path`'s folder, open for writing."""
    for _ in range(_TRIES):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            # 0o666 filtered by the umask is the mode any new file of the user gets.
            return os.open(tmp, _NEW_FILE, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data`: a reader sees the old file or the new one, never half.

    The file gets the mode a new file gets under the umask (0644 under 022), as `open` gives it.
    An `OSError` names `path`, not the temporary file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd, tmp = _create_beside(path)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_new(path: Path, data: bytes) -> bool:
    """Write `data` to `path` if nothing is there yet; False if something is."""
    try:
        fd = os.open(path, _NEW_FILE, 0o666)
    except FileExistsError:
        return False
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return True
