"""A node's claim on its data directory: a stable node id and one node per directory (S14.2).

* ``<data_dir>/node-id`` (0600): the id a node without ``server.node_id`` generated on its first start. Peers
  list it under that id; a new id on every restart would leave them listing a node that no longer exists.
* ``<data_dir>/node.lock`` (0600): an advisory ``flock`` held while the node runs, with the holder's pid, node
  id and address written in it. A second node on the same directory (another process, or another node in
  the same process: ``flock`` locks belong to the open file, not to the process) refuses to start and names
  the holder. The kernel drops the lock when the holder dies, SIGKILL included, so a crash leaves no stale
  lock behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import uuid
from pathlib import Path

log = logging.getLogger(__name__)

NODE_ID_FILE = "node-id"
LOCK_FILE = "node.lock"


class DataDirInUseError(Exception):
    """The data directory is held by another running node; the message is one line naming it."""


def ensure_dir(path: Path) -> Path:
    """Create the data directory private to its owner (0700) when it does not exist yet."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def stable_node_id(data_dir: Path) -> str:
    """The node id kept in ``data_dir`` (created with a random UUID on first use)."""
    path = data_dir / NODE_ID_FILE
    with contextlib.suppress(FileNotFoundError):
        existing = path.read_text().strip()
        if existing:
            return existing
    ensure_dir(data_dir)
    node_id = str(uuid.uuid4())
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it meanwhile: use theirs
        return path.read_text().strip() or node_id
    try:
        os.write(fd, (node_id + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return node_id


class DataDirLock:
    """The advisory lock on ``<data_dir>/node.lock``; :meth:`acquire` raises :class:`DataDirInUseError`."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.path = data_dir / LOCK_FILE
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, node_id: str, url: str) -> None:
        if self._fd is not None:
            return
        ensure_dir(self.data_dir)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = _holder(fd)
            os.close(fd)
            raise DataDirInUseError(
                f"data directory {self.data_dir} is in use by another artemis node ({holder}); "
                "stop that node or start this one with another --data-dir"
            ) from None
        info = {"pid": os.getpid(), "nodeId": node_id, "url": url}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _holder(fd: int) -> str:
    try:
        raw = os.pread(fd, 4096, 0).decode(errors="replace").strip()
        info = json.loads(raw) if raw else {}
    except (OSError, ValueError):
        info = {}
    if not isinstance(info, dict) or not info:
        return "holder unknown"
    return f"pid {info.get('pid', '?')}, node {info.get('nodeId', '?')}, {info.get('url', '?')}"
