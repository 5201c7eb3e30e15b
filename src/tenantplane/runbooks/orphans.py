"""Processes and work directories of runbook scripts whose worker is gone, found through /proc and killed.

Each script's environment names its supervisor (`TP_SUPERVISOR`: the worker's pid and start time), so a sweep can
tell the runs of live workers (never touched) from those a SIGKILLed or OOM-killed worker left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import tempfile
import time
from pathlib import Path

from tenantplane.runbooks.isolation import RUN_UID_RANGE

SUPERVISOR_VARIABLE = "TP_SUPERVISOR"
WORKDIR_PREFIX = "tp-run-"
_WORKDIR_NAME = re.compile(r"tp-run-(\d+\.\d+)-[^/]+")


def process_table() -> list[tuple[int, int, int, bool]]:
    """(pid, real uid, thread count, not a zombie) of every process, read from /proc."""
    table: list[tuple[int, int, int, bool]] = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            status = Path(entry.path, "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        running = not fields.get("State", "").strip().startswith(("Z", "X"))
        table.append((int(entry.name), int(fields["Uid"].split()[0]), int(fields.get("Threads", "1")), running))
    return table


def process_owners() -> list[tuple[int, int]]:
    """(pid, uid) of every process, from the owner of its /proc directory: a stat each, no file read (~0.1 ms for
    100 processes, where process_table reads and parses every status file: ~3 ms, in the worker's event loop).

    /proc/<pid> belongs to the process's effective uid unless the process made itself non-dumpable, when it belongs
    to root: good enough to pick a free throwaway uid and to find what a run left behind, since every process of a
    run lives in its sandbox's pid namespace, which the kernel empties when the sandbox ends.
    """
    owners: list[tuple[int, int]] = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                owners.append((int(entry.name), entry.stat().st_uid))
    return owners


def _alive(pid: int) -> bool:
    """Not a zombie (a zombie cannot be killed, only reaped by its parent)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def descendants(root: int) -> list[int]:
    """Every process below `root` (children first found, then theirs), read from /proc at this moment."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry.name))
    found, frontier = [], [root]
    while frontier:
        below = children.get(frontier.pop(), [])
        found += below
        frontier += below
    return found


def _ours(uid: int | None) -> bool:
    """Never sweep root, the worker itself, or a uid that is not one of the runs' throwaway ones."""
    return uid is not None and uid not in (0, os.getuid()) and RUN_UID_RANGE[0] <= uid < RUN_UID_RANGE[1]


def _kill_alive(uid: int) -> bool:
    """SIGKILL every live process of `uid`; whether there was any."""
    alive = [pid for pid, owner in process_owners() if owner == uid and _alive(pid)]
    for pid in alive:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return bool(alive)


def kill_uid_processes(uid: int | None) -> None:
    """Kills every process of a throwaway uid, also those that left the group; repeats while they fork."""
    if not _ours(uid):
        return
    assert uid is not None
    for _ in range(100):
        if not _kill_alive(uid):
            return
        time.sleep(0.01)


async def kill_uid_processes_soon(uid: int | None) -> None:
    """`kill_uid_processes` for the event loop: it waits for the dying without blocking the loop, and briefly
    (a sandbox's processes die within a millisecond or two of its end), up to the same second in all."""
    if not _ours(uid):
        return
    assert uid is not None
    pause = 0.0005
    for _ in range(100):
        if not _kill_alive(uid):
            return
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.01)


def supervisor_token(pid: int | None = None) -> str:
    """`<pid>.<start time in clock ticks>` of a process (this one by default): unique even when pids are reused."""
    pid = os.getpid() if pid is None else pid
    return f"{pid}.{_start_ticks(pid)}"


def _start_ticks(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[19])  # field 22, counted after the parenthesised command name


def _supervisor_alive(token: str) -> bool:
    pid, _, ticks = token.partition(".")
    return pid.isdigit() and ticks.isdigit() and _start_ticks(int(pid)) == int(ticks)


def _supervisor_of(pid: int) -> str | None:
    """The TP_SUPERVISOR a process was started with (None when it has none or its environment is unreadable)."""
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return None
    prefix = SUPERVISOR_VARIABLE.encode() + b"="
    for entry in environ.split(b"\0"):
        if entry.startswith(prefix):
            return entry[len(prefix) :].decode(errors="replace")
    return None


def reap_orphans() -> int:
    """Kills what the scripts of dead workers left running and removes their work directories.

    Safe with other live workers on the machine: only processes whose supervisor no longer exists are touched;
    as root, every process of such a run's throwaway uid goes too (also one that scrubbed its environment).
    Returns how many processes were killed.
    """
    killed, uids = 0, set()
    me = os.getpid()
    if _start_ticks(me) is None:
        return 0  # no /proc to tell live supervisors from dead ones: never guess
    for pid, owner, _, running in process_table():
        if pid == me or not running:
            continue
        token = _supervisor_of(pid)
        if token is None or _supervisor_alive(token):
            continue
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
            killed += 1
        if RUN_UID_RANGE[0] <= owner < RUN_UID_RANGE[1]:
            uids.add(owner)
    for uid in uids:
        kill_uid_processes(uid)
    for workdir in Path(tempfile.gettempdir()).glob(f"{WORKDIR_PREFIX}*"):
        named = _WORKDIR_NAME.fullmatch(workdir.name)
        if named and workdir.is_dir() and not workdir.is_symlink() and not _supervisor_alive(named[1]):
            remove_workdir(workdir)
    return killed


def remove_workdir(workdir: Path) -> None:
    """Removes a working directory, even after a script made parts of it unreadable to its owner."""
    shutil.rmtree(workdir, ignore_errors=True)
    if workdir.exists():
        for directory, children, _ in os.walk(workdir):
            for child in children:
                os.chmod(os.path.join(directory, child), 0o700)
        shutil.rmtree(workdir, ignore_errors=True)
