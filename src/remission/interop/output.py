"""Where an export's files go: written beside the target, moved into place only when complete.

A file (:func:`file_output`) or a directory of files (:func:`directory_output`) is written under a
temporary name in the target's own directory, then renamed onto the target in one step, so a failed
or interrupted export leaves nothing behind and never half a file. Files are readable by their
owner only (mode 0600; directories 0700): exports hold clinical data.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from remission.store import FILE_EXISTS, Refused

#: Told ``(patients written, patients in all)`` after each patient of a streamed export.
Progress = Callable[[int, int], None]


def no_progress(done: int, total: int) -> None:
    """The progress callback that shows nothing."""


@dataclass(frozen=True)
class ExportSummary:
    """What an interop export wrote: the file or directory, its format, patients and files."""

    path: Path
    format: str
    patients: int
    files: int


def _check_target(target: Path, *, overwrite: bool, directory: bool) -> None:
    if not target.parent.is_dir():
        raise Refused("path", f"the directory {target.parent} does not exist")
    if target.exists() and not overwrite:
        raise Refused("path", f"{target} exists; pass overwrite=True to replace it", FILE_EXISTS)
    if target.exists() and target.is_dir() != directory:
        kind = "a directory" if target.is_dir() else "a file"
        raise Refused("path", f"{target} is {kind}")


@contextmanager
def file_output(path: Path | str, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``path`` (mode 0600)."""
    target = Path(path)
    _check_target(target, overwrite=overwrite, directory=False)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        temporary.chmod(0o600)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


@contextmanager
def directory_output(path: Path | str, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary directory to fill; on success it takes the place of ``path``.

    The files in it are made owner-only (0600, the directory 0700). A replaced directory is
    moved aside first and removed only once the new one is in place.
    """
    target = Path(path)
    _check_target(target, overwrite=overwrite, directory=True)
    temporary = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    aside: Path | None = None
    try:
        yield temporary
        for child in temporary.rglob("*"):
            child.chmod(0o700 if child.is_dir() else 0o600)
        temporary.chmod(0o700)
        if target.exists():
            aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
            os.replace(target, aside / target.name)
        os.replace(temporary, target)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
        if aside is not None:
            shutil.rmtree(aside, ignore_errors=True)
