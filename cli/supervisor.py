"""Child processes that live and die with their supervisor.

Each child runs in its own process group, so a Ctrl-C in the terminal reaches only the supervisor, which
then stops the children in order. On Linux each child also asks the kernel (prctl PR_SET_PDEATHSIG) for a
SIGTERM when the supervisor dies, so even a supervisor killed with SIGKILL leaves no orphan behind.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO

import httpx

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Shutdown(BaseException):
    """A stop signal arrived. BaseException, so that no `except Exception` on the way swallows it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class StartupFailed(Exception):
    """A child could not start; the message says which and why, with the end of its log."""


class StopSignals:
    """While active, the first SIGINT/SIGTERM/SIGHUP raises Shutdown in the main thread; once stopping
    has begun (`stopping()`), further signals are only acknowledged, so cleanup is never cut short."""

    def __init__(self, announce: Callable[[str], None]) -> None:
        self.announce = announce
        self.received: int | None = None
        self._stopping = False
        self._deferring: str | None = None

    def stopping(self) -> None:
        self._stopping = True

    @contextmanager
    def deferred(self, step: str) -> Iterator[None]:
        """A step that must not be cut short: a stop signal takes effect when it ends, not within it."""
        self._deferring = step
        try:
            yield
        finally:
            self._deferring = None
            if self.received is not None and not self._stopping:
                self._stopping = True
                raise Shutdown(self.received)

    def handle(self, signum: int, _frame: FrameType | None) -> None:
        if self._stopping:
            self.announce("Still stopping; every process is being shut down, please wait.")
            return
        self.received = signum
        if self._deferring is not None:
            self.announce(f"Stopping once {self._deferring}…")
            return
        self._stopping = True
        raise Shutdown(signum)


@contextmanager
def stop_signals(announce: Callable[[str], None]) -> Iterator[StopSignals]:
    handler = StopSignals(announce)
    previous = {signum: signal.signal(signum, handler.handle) for signum in STOP_SIGNALS}
    try:
        yield handler
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def _die_with_parent() -> Callable[[], None] | None:
    """A preexec_fn that makes the kernel send the child SIGTERM when this process dies (Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    prctl = libc.prctl  # looked up before fork: the child only calls it
    parent = os.getpid()

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the request took effect
            os._exit(1)

    return preexec


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path | None
    exit_reported: bool = False

    @property
    def pid(self) -> int:
        return self.process.pid

    def exit_description(self) -> str:
        code = self.process.returncode
        if code is None:
            return "is running"
        if code < 0:
            return f"was stopped by {signal.Signals(-code).name}"
        return f"exited with code {code}"

    def log_tail(self, lines: int = 20) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        tail = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        return "\n".join(f"    {line}" for line in tail)


@dataclass
class Supervisor:
    """Starts children, waits until they answer, and stops them: the last started is stopped first."""

    log_dir: Path | None = None  # None: children write to this process's terminal
    children: list[Child] = field(default_factory=list)

    def start(self, name: str, argv: Sequence[str], env: Mapping[str, str]) -> Child:
        log_path, output = self._output_for(name)
        try:
            process = subprocess.Popen(
                list(argv),
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT if output is not None else None,
                process_group=0,
                preexec_fn=_die_with_parent(),  # safe: the supervisor runs no threads
            )
        finally:
            if output is not None:
                output.close()  # the child holds its own descriptor
        child = Child(name, process, log_path)
        self.children.append(child)
        return child

    def _output_for(self, name: str) -> tuple[Path | None, IO[bytes] | None]:
        if self.log_dir is None:
            return None, None
        self.log_dir.mkdir(parents=True, exist_ok=True)
        path = self.log_dir / f"{name}.log"
        return path, path.open("wb")  # each run's own log: what a failure message quotes is this run's

    def wait_until_ready(self, child: Child, url: str, timeout: float = 60.0) -> None:
        """Polls `url` (a /readyz) until it answers 200; fails early if the child exits."""
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if child.process.poll() is not None:
                    child.exit_reported = True
                    raise StartupFailed(self._failure(child, f"{child.exit_description()} while starting"))
                try:
                    if client.get(url).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
        raise StartupFailed(self._failure(child, f"did not answer {url} within {timeout:.0f} s"))

    def _failure(self, child: Child, what: str) -> str:
        message = f"{child.name} {what}."
        tail = child.log_tail()
        if tail:
            message += f"\n  The end of {child.log_path}:\n{tail}"
        return message

    def newly_exited(self) -> list[Child]:
        """Children that have exited since the last call."""
        exited = [c for c in self.children if not c.exit_reported and c.process.poll() is not None]
        for child in exited:
            child.exit_reported = True
        return exited

    def stop_all(self, grace: float = 15.0) -> None:
        for child in reversed(self.children):
            stop_process(child.process, grace)


def stop_process(process: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM, then SIGKILL for a process still running after `grace` seconds; always reaped."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
    process.wait()
