"""The TCP sockets of another process (Linux), read for real: which are connected, and
their TCP_NODELAY and bytes sent, from a duplicate of the process's own descriptor.

How: ``/proc/<pid>/fd`` and ``/proc/<pid>/net/tcp`` list the process's established
connections with their descriptors; ``pidfd_open`` + ``pidfd_getfd`` (Linux >= 5.6)
copy a descriptor into this process, where ``getsockopt`` reads the options of the very
same socket (a copy shares the socket; closing the copy leaves it open). It needs ptrace
rights over the process: root, or a child of ours with ``ptrace_scope`` <= 1.

``unsupported() -> str | None``
    Why this cannot work here (not Linux, no pidfd_getfd), or None.
``connections(pid, port) -> list[Connection]``
    The process's established IPv4 TCP connections whose local port is ``port`` (for a
    server: the clients connected to it).
``Connection``: ``fd``, ``local``, ``remote``; ``nodelay()``, ``bytes_acked()`` (bytes
    the process has sent and the peer acknowledged: ``tcp_info.tcpi_bytes_acked``).
"""

from __future__ import annotations

import ctypes
import os
import platform
import socket
import struct
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

__all__ = ["Connection", "connections", "unsupported"]

# pidfd_getfd's syscall number (the same on these two; other architectures: unsupported).
_SYS_PIDFD_GETFD = {"x86_64": 438, "aarch64": 438}
_TCP_ESTABLISHED = "01"
# struct tcp_info (linux/tcp.h): 8 one-byte fields, 24 u32, then u64 pacing_rate,
# max_pacing_rate, bytes_acked.
_TCPI_BYTES_ACKED = 8 + 24 * 4 + 2 * 8

T = TypeVar("T")


def unsupported() -> str | None:
    """Why another process's sockets cannot be read here, or None if they can."""
    if sys.platform != "linux":
        return f"needs Linux (pidfd_getfd), not {sys.platform}"
    if platform.machine() not in _SYS_PIDFD_GETFD:
        return f"no pidfd_getfd syscall number known for {platform.machine()}"
    if not hasattr(os, "pidfd_open"):
        return "os.pidfd_open is missing"
    return None


@dataclass(frozen=True)
class Connection:
    """One established TCP connection of process ``pid``, by its descriptor ``fd``."""

    pid: int
    fd: int
    local: tuple[str, int]
    remote: tuple[str, int]

    def nodelay(self) -> bool:
        """Whether TCP_NODELAY is on (Nagle's algorithm off) on this socket."""
        return self._read(lambda s: s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)) != 0

    def bytes_acked(self) -> int:
        """Bytes this process has sent on the connection and the peer has acknowledged."""
        info = self._read(lambda s: s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256))
        return int(struct.unpack_from("=Q", info, _TCPI_BYTES_ACKED)[0])

    def _read(self, get: Callable[[socket.socket], T]) -> T:
        with _duplicate(self.pid, self.fd) as s:
            return get(s)


@contextmanager
def _duplicate(pid: int, fd: int) -> Iterator[socket.socket]:
    """A socket object on a copy of process ``pid``'s descriptor ``fd``."""
    reason = unsupported()
    if reason:
        raise OSError(reason)
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    try:
        copy = libc.syscall(_SYS_PIDFD_GETFD[platform.machine()], pidfd, fd, 0)
        if copy < 0:
            err = ctypes.get_errno()
            raise OSError(err, f"pidfd_getfd({pid}, {fd}): {os.strerror(err)}")
    finally:
        os.close(pidfd)
    s = socket.socket(fileno=copy)
    try:
        yield s
    finally:
        s.close()  # closes the copy only: no shutdown, the process's socket stays open


def _address(hex_addr: str) -> tuple[str, int]:
    ip, port = hex_addr.split(":")
    return socket.inet_ntoa(struct.pack("<I", int(ip, 16))), int(port, 16)


def connections(pid: int, port: int) -> list[Connection]:
    """Process ``pid``'s established IPv4 TCP connections on local port ``port``."""
    inode_fd: dict[str, int] = {}
    for entry in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(entry)
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inode_fd[target[len("socket:[") : -1]] = int(entry.name)
    found = []
    for line in Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, state, inode = fields[1], fields[2], fields[3], fields[9]
        if state != _TCP_ESTABLISHED or inode not in inode_fd:
            continue
        laddr = _address(local)
        if laddr[1] == port:
            found.append(Connection(pid, inode_fd[inode], laddr, _address(remote)))
    return found
