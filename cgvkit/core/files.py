"""Writing outputs so that a failed, killed or concurrent run never leaves the user without them.

A folder output is written in a staging folder beside its target (`.name.staging-PID`) and
swapped in at the end, under a lock (`.name.lock`, flock) so two runs on the same output wait
for each other. The swap is one atomic exchange where Linux offers renameat2(RENAME_EXCHANGE);
elsewhere it is two renames, and a run killed between them leaves `.name.old-PID` and no
`name`: the next run puts it back before anything else. Leftovers of dead processes are removed.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

try:
    import fcntl
except ImportError:  # not POSIX: no lock, the swap and the recovery still hold
    LOCKING = False
else:
    LOCKING = True

# `.name.staging-PID`, `.name.old-PID` and `.name.lock`, beside the output `name`.
LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?P<kind>staging|old)-(?P<pid>\d+)$")
LOCK = re.compile(r"^\.(?P<name>.+)\.lock$")

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2

# Locks held here ((thread, lock file) → depth): a thread taking its own lock again nests instead of
# waiting for itself; another thread of the process waits as another process does.
_held: dict[tuple[int, str], int] = {}
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_held.clear)  # a forked child holds none of its parent's locks


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def staged_dir(target: Path) -> Iterator[Path]:
    """Yield a fresh staging folder; on success it replaces `target` in one swap.

    On any exception the staging folder is removed and `target` is left exactly as it was.
    A concurrent run on the same target waits until this one is done.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    with output_lock(target):
        _recover(target)
        staging = _aside(target, "staging")
        _remove(staging)
        staging.mkdir()
        try:
            yield staging
        except BaseException:
            _remove(staging)
            raise
        _swap(staging, target)


def replace_file(target: Path, text: str) -> None:
    """Write a text file whole or not at all: it is written beside the target (`.name.staging-PID`)
    and renamed over it, so a killed run leaves the previous file, and the next run removes what
    it left (see `tidy`)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with output_lock(target):
        _recover(target)
        staging = _aside(target, "staging")
        try:
            staging.write_text(text, encoding="utf-8")
            os.replace(staging, target)
        except BaseException:
            _remove(staging)
            raise


def tidy(folder: Path) -> None:
    """Recover every output of `folder` a killed run left aside, and remove dead runs' leftovers.

    Outputs another run is writing right now (their lock is held) are left to that run.
    """
    if not folder.is_dir():
        return
    names = set()
    for entry in os.listdir(folder):
        match = LEFTOVER.match(entry) or LOCK.match(entry)
        if match:
            names.add(match["name"])
    for name in sorted(names):
        with output_lock(folder / name, wait=False) as acquired:
            if acquired:
                _recover(folder / name)


@contextmanager
def output_lock(target: Path, wait: bool = True) -> Iterator[bool]:
    """Hold `.name.lock` beside `target`; yields False at once if busy and not `wait`.

    The lock file is removed on release; a run that locked a file since removed retries on
    the new one, so two runs never both hold the lock of one output. A lock this process
    already holds is taken again at once (nested), and released by the outermost holder.
    """
    if not LOCKING:
        yield True
        return
    path = target.parent / f".{target.name}.lock"
    key = (threading.get_ident(), str(path.parent.resolve() / path.name))
    if key in _held:
        _held[key] += 1
        try:
            yield True
        finally:
            _held[key] -= 1
        return
    fd = _acquire(path, wait)
    if fd is None:
        yield False
        return
    _held[key] = 1
    try:
        yield True
    finally:
        del _held[key]
        with suppress(FileNotFoundError):
            os.unlink(path)
        os.close(fd)


def _acquire(path: Path, wait: bool) -> int | None:
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            return None
        except BaseException:
            os.close(fd)
            raise
        if _same_file(fd, path):
            return fd
        os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    try:
        now = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (now.st_dev, now.st_ino)


def _aside(target: Path, kind: str) -> Path:
    return target.parent / f".{target.name}.{kind}-{os.getpid()}"


def _recover(target: Path) -> None:
    """Under the lock: put back an output a killed swap left aside, remove dead runs' leftovers."""
    olds: list[Path] = []
    others: list[Path] = []
    for entry in os.scandir(target.parent):
        match = LEFTOVER.match(entry.name)
        if not match or match["name"] != target.name or _alive(int(match["pid"])):
            continue
        (olds if match["kind"] == "old" else others).append(Path(entry.path))
    if olds and not _exists(target):
        newest = max(olds, key=lambda p: p.lstat().st_mtime)
        newest.rename(target)
        olds.remove(newest)
    for path in olds + others:
        _remove(path)


def _alive(pid: int) -> bool:
    """Whether a process other than this one has this id (this one holds the lock: not alive)."""
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # Linux: a zombie (ended, not yet reaped by its parent) is not alive
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _exists(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with suppress(FileNotFoundError):
            path.unlink()


def _swap(staging: Path, target: Path) -> None:
    if _exchange(staging, target):
        _remove(staging)  # it now holds the previous output
        return
    if not _exists(target):
        staging.rename(target)
        return
    old = _aside(target, "old")
    _remove(old)
    target.rename(old)
    # A kill here leaves `.name.old-PID` and no `name`: the next run puts it back (_recover).
    staging.rename(target)
    _remove(old)


def _load_renameat2() -> Callable[[int, bytes, int, bytes, int], int] | None:
    try:
        return ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None


_renameat2 = _load_renameat2()


def _exchange(staging: Path, target: Path) -> bool:
    """Swap two existing paths in one atomic step (Linux); False when it cannot be done here."""
    if _renameat2 is None:
        return False
    result = _renameat2(_AT_FDCWD, os.fsencode(staging), _AT_FDCWD, os.fsencode(target), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOENT, errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
        return False
    raise OSError(code, os.strerror(code), str(target))
