"""The embedded database's watchdog: `python -m cli.guardian <pgdata> <supervisor pid>`.

PostgreSQL detaches from whoever starts it, so the parent-death signal that stops the other children does
not reach it. This small child of the supervisor gets that signal instead (or a SIGTERM from the
supervisor) and then stops the database unless another live process still uses it. A supervisor that
stops normally has already stopped the database, and the watchdog finds nothing to do.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from cli.database import stop_if_unused

POLL_SECONDS = 1.0


def watch(folder: Path, supervisor_pid: int) -> None:
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT, signal.SIGHUP})
    # The parent check covers a supervisor that died before this process could block the signal.
    while os.getppid() == supervisor_pid:
        if signal.sigtimedwait({signal.SIGTERM, signal.SIGINT, signal.SIGHUP}, POLL_SECONDS):
            break
    stop_if_unused(folder)


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: python -m cli.guardian <pgdata folder> <supervisor pid>", file=sys.stderr)
        return 2
    watch(Path(argv[1]), int(argv[2]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
