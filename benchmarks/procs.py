"""Server processes under test (the real ``artemis server start`` and the ceiling), CPU/RSS sampling, and
a minimal WebSocket subscriber for the push scenarios."""

from __future__ import annotations

import asyncio
import base64
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

try:
    import psutil
except ImportError:  # the /proc fallback below does the same on Linux
    psutil = None

ROOT = Path(__file__).resolve().parent.parent
_LISTEN = re.compile(rb"listening on https?://[^:\s]+:(\d+)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pin(pid: int, cpus: set[int] | None) -> None:
    """Pin a process to CPUs when the machine has them (server on one core, generator on the other)."""
    if cpus and hasattr(os, "sched_setaffinity") and max(cpus) < (os.cpu_count() or 1):
        try:
            os.sched_setaffinity(pid, cpus)
        except OSError:
            pass


class Usage:
    """CPU seconds and RSS of one process: psutil when installed, else /proc/<pid>/stat and status."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._ps = psutil.Process(pid) if psutil is not None else None
        self._tck = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def cpu(self) -> float:
        if self._ps is not None:
            t = self._ps.cpu_times()
            return float(t.user + t.system)
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / self._tck

    def rss(self) -> int:
        if self._ps is not None:
            return int(self._ps.memory_info().rss)
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0


class CpuWindow:
    """CPU share of a process over a wall-clock window (1.0 = one core fully busy)."""

    def __init__(self, usage: Usage) -> None:
        self.u = usage
        self.c0 = usage.cpu()
        self.t0 = time.perf_counter()

    def share(self) -> float:
        dt = time.perf_counter() - self.t0
        return round((self.u.cpu() - self.c0) / dt, 3) if dt > 0 else 0.0


class Proc:
    """A server started as a separate process; the bound port is read from its start line."""

    def __init__(
        self,
        cmd: list[str],
        env: dict[str, str] | None = None,
        cpus: set[int] | None = None,
        name: str = "server",
    ) -> None:
        self.cmd, self.name, self.cpus = cmd, name, cpus
        self.env = {**os.environ, **(env or {})}
        self.env["PYTHONPATH"] = str(ROOT) + os.pathsep + self.env.get("PYTHONPATH", "")
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.usage: Usage | None = None
        self.t_spawn = 0.0  # perf_counter when the process was spawned
        self.t_listen = 0.0  # ... when it printed its listening line
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the process

    def start(self, timeout: float = 30.0) -> Proc:
        self.t_spawn = time.perf_counter()
        self.proc = subprocess.Popen(
            self.cmd, env=self.env, stdout=subprocess.PIPE, stderr=self._log, cwd=str(ROOT)
        )
        assert self.proc.stdout is not None
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            line = self.proc.stdout.readline()
            if not line:
                break
            m = _LISTEN.search(line)
            if m:
                self.port = int(m.group(1))
                self.t_listen = time.perf_counter()
                break
        if not self.port:
            self.stop()
            self._log.seek(0)
            err = self._log.read().decode(errors="replace")[-2000:]
            raise RuntimeError(f"{self.name} did not start: {err}")
        self.proc.stdout.close()
        pin(self.proc.pid, self.cpus)
        self.usage = Usage(self.proc.pid)
        wait_http(self.port, "/health" if "artemis_cli" in self.cmd else "/", timeout)
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def kill(self) -> None:
        """SIGKILL, as a crash: no shutdown hook runs."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def log(self) -> str:
        """What the process wrote to stderr so far (its log). pread: the child shares the file offset, so a
        seek here would make it write over its own log."""
        fd = self._log.fileno()
        return os.pread(fd, os.fstat(fd).st_size, 0).decode(errors="replace")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def wait_http(port: int, path: str, timeout: float) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
                if s.recv(64).startswith(b"HTTP/1.1 "):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"nothing answers on 127.0.0.1:{port}{path}")


def artemis(
    data_dir: Path,
    *,
    port: int = 0,
    peers: list[int] = (),
    cpus: set[int] | None = None,
    env: dict[str, str] | None = None,
    name: str = "artemis",
) -> Proc:
    cmd = [
        sys.executable,
        "-m",
        "artemis_cli",
        "server",
        "start",
        "--addr",
        f"127.0.0.1:{port}",
        "--data-dir",
        str(data_dir),
    ]
    for p in peers:
        cmd += ["--peer", f"http://127.0.0.1:{p}"]
    return Proc(cmd, env=env, cpus=cpus, name=name)


def ceiling(cpus: set[int] | None = None, decode: bool = False) -> Proc:
    cmd = [sys.executable, "-m", "benchmarks.ceiling", "--port", "0", *(["--decode"] if decode else [])]
    return Proc(cmd, cpus=cpus, name="ceiling-decode" if decode else "ceiling")


def otlp_sink(cpus: set[int] | None = None) -> Proc:
    """benchmarks/otlp_sink.py: where traced nodes export their spans in a run with ``--trace-ratio``."""
    return Proc([sys.executable, "-m", "benchmarks.otlp_sink", "--port", "0"], cpus=cpus, name="otlp-sink")


def tmpdir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))


def rmtree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


# -- a minimal WebSocket client (RFC 6455 text frames, no extensions) -----------------------------------


class WsSubscriber(asyncio.Protocol):
    """Connects to ``/ws``, subscribes to one service and calls ``on_text(payload, t)`` per text frame.

    Hand-written instead of a library client so that 1,000 subscribers in the generator process cost
    little next to the server's fan-out (a frame is parsed with a few slices)."""

    def __init__(self, on_text: Callable[[bytes, float], None]) -> None:
        self.on_text = on_text
        self.buf = b""
        self.upgraded = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.upgraded.done():
            self.upgraded.set_exception(ConnectionError("closed before upgrade"))

    def send_text(self, text: bytes) -> None:
        mask = os.urandom(4)
        n = len(text)
        head = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack("!H", n))
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(text))
        assert self.transport is not None
        self.transport.write(head + mask + masked)

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        buf = self.buf + data
        if not self.upgraded.done():
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                self.buf = buf
                return
            if b" 101 " not in buf[:end].split(b"\r\n", 1)[0] + b" ":
                self.upgraded.set_exception(ConnectionError(buf[:end].decode(errors="replace")))
                return
            self.upgraded.set_result(None)
            buf = buf[end + 4 :]
        pos = 0
        while len(buf) - pos >= 2:
            b1 = buf[pos + 1] & 0x7F
            hdr = 2
            if b1 == 126:
                if len(buf) - pos < 4:
                    break
                b1 = struct.unpack_from("!H", buf, pos + 2)[0]
                hdr = 4
            elif b1 == 127:
                if len(buf) - pos < 10:
                    break
                b1 = struct.unpack_from("!Q", buf, pos + 2)[0]
                hdr = 10
            if len(buf) - pos < hdr + b1:
                break
            opcode = buf[pos] & 0x0F
            payload = buf[pos + hdr : pos + hdr + b1]
            pos += hdr + b1
            if opcode == 1:
                self.on_text(payload, now)
        self.buf = buf[pos:]


async def ws_subscribe(port: int, service_id: str, on_text: Callable[[bytes, float], None]) -> WsSubscriber:
    loop = asyncio.get_running_loop()
    _, proto = await loop.create_connection(lambda: WsSubscriber(on_text), "127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    assert proto.transport is not None
    proto.transport.write(
        (
            f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    await asyncio.wait_for(proto.upgraded, 10)
    proto.send_text(b'{"type":"subscribe","serviceId":"%s"}' % service_id.encode())
    return proto
