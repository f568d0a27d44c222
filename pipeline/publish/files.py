"""Files and output folders written safely: atomic files, and each region's outputs published as one set.

:func:`atomic_path` (used by every writer) writes to a temporary file in the
same folder and renames it over the target, so an interrupted run leaves the
previous file intact. A region's run writes into ``outputs/.<region>.tmp-<pid>/`` and swaps it with the
published folder (``renameat2(RENAME_EXCHANGE)``, else two renames), so a
reader never sees half a set; a second run of the same region waits for no one
and is refused; leftovers of dead runs are removed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path

logger = logging.getLogger(__name__)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True


def _exchange(a: Path, b: Path) -> None:
    """Swap two folders in one step (Linux ``renameat2(RENAME_EXCHANGE)``)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        raise OSError("renameat2 is not available")
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), str(a))


@contextlib.contextmanager
def region_lock(folder: str | os.PathLike[str]) -> Iterator[None]:
    """Hold an exclusive lock on a region's outputs for the length of a run.

    The lock file ``.<name>.lock`` sits beside the folder and holds the
    owner's process id; the operating system releases it when the process
    ends, however it ends.

    Raises
    ------
    OutputError
        If another run of the same region holds the lock.
    """
    import fcntl

    from ..errors import OutputError

    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    lock = folder.with_name(f".{folder.name}.lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise OutputError(
                f"{folder}: another kantong run (process {owner}) is writing this region's outputs; "
                "wait for it to finish, or stop it, then run again"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


#: Name of a region's folder while a run builds it: ``.<region>.tmp-<pid>``.
_STAGING = re.compile(r"^\.(?P<name>.+)\.tmp-(?P<pid>\d+)$")


def remove_stale_staging(folder: str | os.PathLike[str]) -> list[Path]:
    """Delete half-built copies of ``folder`` (and temporary files in it) left by runs that died.

    Only leftovers whose owning process is no longer alive are removed, so
    a run in progress never loses its files.
    """
    import shutil

    folder = Path(folder)
    removed = []
    candidates = [*folder.parent.glob(f".{folder.name}.tmp-*")]
    if folder.is_dir():
        candidates += [p for p in folder.rglob(".*.tmp-*")]
    for path in candidates:
        pid = re.search(r"\.tmp-(\d+)", path.name)
        if pid is None or _pid_alive(int(pid.group(1))):
            continue
        logger.warning("removing %s, left by an interrupted run", path)
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed


@contextlib.contextmanager
def staged_folder(folder: str | os.PathLike[str], *, keep: tuple[str, ...] = ()) -> Iterator[Path]:
    """Build a region's outputs in a new folder, then put it in place in one step.

    Yields the staging folder ``.<name>.tmp-<pid>`` beside ``folder``, holding a
    copy of the sub-folders ``keep`` of the previous outputs (field rounds,
    which a run does not make). On
    success the two folders are exchanged atomically (``renameat2``), so a
    reader, or a run killed at any point, sees either the whole previous set
    of outputs or the whole new one, never a mix; files a run no longer
    produces (a renamed OPD's workbook) disappear with the old set. On
    failure the staging folder is removed and the previous outputs stay.
    """
    import shutil

    folder = Path(folder)
    staging = folder.with_name(f".{folder.name}.tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        for sub in keep:
            if (folder / sub).is_dir():
                shutil.copytree(folder / sub, staging / sub, copy_function=shutil.copy2)
                for parent in (staging / sub).relative_to(staging).parents:
                    if parent != Path("."):
                        os.chmod(staging / parent, (folder / parent).stat().st_mode & 0o777)
        yield staging
        if folder.is_dir():
            try:
                _exchange(staging, folder)
            except OSError:  # no renameat2 (not Linux, old glibc): two renames, a moment apart
                old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
                os.rename(folder, old)
                os.rename(staging, folder)
                staging = old
            shutil.rmtree(staging, ignore_errors=True)
        else:
            os.rename(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, mode: int | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it to ``path`` on success.

    Parameters
    ----------
    path
        The final file.
    mode
        Permission bits set on the file before it takes its final name
        (e.g. ``0o600``); by default the process umask decides.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}{path.suffix}")  # GDAL wants the real suffix
    tmp.unlink(missing_ok=True)
    try:
        yield tmp
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def to_text(text: str, path: str | os.PathLike[str], *, mode: int | None = None) -> Path:
    """Write UTF-8 text atomically and return the path."""
    with atomic_path(path, mode=mode) as tmp:
        fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, mode if mode is not None else 0o666)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
    return Path(path)


def to_json(data: object, path: str | os.PathLike[str]) -> Path:
    """Write ``data`` as indented UTF-8 JSON, atomically."""
    return to_text(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n", path)
