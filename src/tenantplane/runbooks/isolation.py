"""Isolation of runbook scripts with bubblewrap: what a script sees of the machine, and who it runs as.

Every shell or python action runs inside `bwrap` with its own user, pid, mount, ipc, uts, cgroup and network
namespaces: the system directories read-only, a private /tmp, /var/tmp and /dev/shm, its own work directory and
nothing else of the file system (no data directory, no database socket, no home directories), no network but its
own loopback, no further user namespaces and no capabilities. When the worker is root, bwrap itself is started
as a throwaway uid (random, from a range no account uses), so outside the namespaces the script is nobody and the
process limit counts only that run. The sandbox fails closed: when bwrap is missing or cannot start, or the
interpreter lives where the sandbox cannot see it, the action fails with a reason and the worker says so at start;
a script never runs as root or unconfined.
"""

from __future__ import annotations

import asyncio
import functools
import os
import random
import shutil
import subprocess
import tempfile
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import structlog

from tenantplane.settings import Settings

log = structlog.get_logger("tenantplane.runbooks")

ScriptKind = Literal["shell", "python"]

SAFE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
RUN_UID_RANGE = (1_900_000_000, 2_000_000_000)
# What a script may see of /etc: name resolution, certificates, time zones, the dynamic linker and the
# alternatives links that many commands in /usr/bin are. Never the whole /etc (shadow, the worker's config).
_ETC_ENTRIES = (
    "alternatives", "ca-certificates", "ca-certificates.conf", "group", "host.conf", "hostname", "hosts",
    "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "mime.types", "nsswitch.conf", "os-release",
    "passwd", "protocols", "resolv.conf", "services", "ssl", "timezone",
)  # fmt: skip
_SYSTEM_TREES = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_PROBE_SECONDS = 20.0


class SandboxUnavailable(Exception):
    """Scripts of this kind cannot run confined on this worker; the message says why and what to install."""


@dataclass(frozen=True)
class SandboxConfig:
    """The operator's choices: the python interpreter, and host paths every run sees (AWX's "paths to expose")."""

    python: str | None = None
    exposed_paths: tuple[tuple[str, bool], ...] = ()  # (host path, writable)
    network: Literal["auto", "none", "egress"] = "auto"
    database_url: str | None = None  # its host is never reachable from a script

    @classmethod
    def from_settings(cls, settings: Settings) -> SandboxConfig:
        exposed = []
        for entry in (e.strip() for e in settings.runbook_exposed_paths.split(",")):
            if entry:
                path, _, mode = entry.rpartition(":") if entry.endswith((":rw", ":ro")) else (entry, "", "ro")
                exposed.append((str(Path(path).resolve()), mode == "rw"))
        return cls(
            python=settings.runbook_python, exposed_paths=tuple(exposed), network=settings.runbook_network,
            database_url=settings.database_url,
        )  # fmt: skip


@dataclass(frozen=True)
class RunAccount:
    """Who bwrap is started as: a throwaway uid (the worker is root) or the worker's own user (uid None)."""

    uid: int | None


@dataclass(frozen=True)
class SandboxStatus:
    """What this worker can run confined: the interpreter per kind, or why not."""

    bwrap: str | None
    interpreters: dict[str, str]
    problems: dict[str, str]

    def interpreter(self, kind: ScriptKind) -> str:
        if kind in self.problems:
            raise SandboxUnavailable(self.problems[kind])
        return self.interpreters[kind]

    def describe(self) -> str:
        if not self.problems:
            return (
                f"runbook sandbox ready (bwrap {self.bwrap}; "
                + ", ".join(f"{kind}: {program}" for kind, program in sorted(self.interpreters.items()))
                + ")"
            )
        return "; ".join(f"{kind} actions cannot run: {why}" for kind, why in sorted(self.problems.items()))


def account_for_run(busy_uids: Iterable[int]) -> RunAccount:
    if os.geteuid() != 0:
        return RunAccount(uid=None)
    busy = set(busy_uids)
    while (uid := random.randrange(*RUN_UID_RANGE)) in busy:
        pass
    return RunAccount(uid=uid)


def bwrap_arguments(*, workdir: Path, tmp_bytes: int, config: SandboxConfig, share_net: bool = False) -> list[str]:
    """The bwrap options of one run, up to (not including) the command it starts.

    `share_net`: the host's network, filtered by the kernel rules of `network` (never without them).
    """
    arguments = [
        "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session",
        "--cap-drop", "ALL", "--hostname", "tenantplane-run", *(["--share-net"] if share_net else []),
    ]  # fmt: skip
    for tree in _SYSTEM_TREES:
        path = Path(tree)
        if path.is_symlink():
            arguments += ["--symlink", os.readlink(path), tree]
        elif path.is_dir():
            arguments += ["--ro-bind", tree, tree]
    for entry in _ETC_ENTRIES:
        arguments += ["--ro-bind-try", f"/etc/{entry}", f"/etc/{entry}"]
    arguments += ["--proc", "/proc", "--dev", "/dev"]
    for scratch in ("/tmp", "/var/tmp", "/dev/shm"):
        arguments += ["--size", str(tmp_bytes), "--perms", "1777", "--tmpfs", scratch]
    for exposed, writable in config.exposed_paths:
        arguments += ["--bind-try" if writable else "--ro-bind-try", exposed, exposed]
    arguments += ["--bind", str(workdir), str(workdir), "--chdir", str(workdir)]
    return [*arguments, "--remount-ro", "/"]  # the sandbox's own root (and /etc in it): nothing to write there


def _visible_in_sandbox(program: str) -> bool:
    real = os.path.realpath(program)
    return any(real == tree or real.startswith(tree + "/") for tree in _SYSTEM_TREES)


def _configured_python(config: SandboxConfig) -> str | None:
    return config.python or shutil.which("python3", path="/usr/bin:/bin") or shutil.which("python3", path=SAFE_PATH)


@functools.cache
def bwrap_path() -> str | None:
    return shutil.which("bwrap", path=SAFE_PATH)


@functools.cache
def bash_path() -> str:
    bash = shutil.which("bash", path=SAFE_PATH)
    if bash is None:
        raise RuntimeError("bash is required to run runbook scripts")
    return bash


_statuses: dict[SandboxConfig, SandboxStatus] = {}
_status_lock = asyncio.Lock()


async def sandbox_status(config: SandboxConfig) -> SandboxStatus:
    """Probes once per process and configuration (a real confined run of each interpreter), then remembers."""
    async with _status_lock:
        if config not in _statuses:
            status = _statuses[config] = await asyncio.to_thread(probe_sandbox, config)
            if status.problems:
                log.warning("runbook scripts will be refused", why=status.describe())
            else:
                log.info(status.describe())
        return _statuses[config]


def sandbox_readiness(config: SandboxConfig) -> Callable[[], Awaitable[dict[str, str]]]:
    """A /readyz detail: whether this process's worker can run scripts confined, and why not."""

    async def detail() -> dict[str, str]:
        return {"runbook_sandbox": (await sandbox_status(config)).describe()}

    return detail


def probe_sandbox(config: SandboxConfig) -> SandboxStatus:
    bwrap = bwrap_path()
    candidates: dict[str, str | None] = {"shell": bash_path(), "python": _configured_python(config)}
    interpreters: dict[str, str] = {}
    problems: dict[str, str] = {}
    if bwrap is None:
        why = "bubblewrap (bwrap) is not installed; install it (Debian: apt-get install bubblewrap)"
        return SandboxStatus(bwrap=None, interpreters={}, problems=dict.fromkeys(candidates, why))
    for kind, program in candidates.items():
        if program is None:
            problems[kind] = "no python3 found under /usr (install python3 or set TENANTPLANE_RUNBOOK_PYTHON)"
        elif not _visible_in_sandbox(program):
            problems[kind] = (
                f"{program} is outside the system directories the sandbox shows scripts "
                f"({', '.join(_SYSTEM_TREES)}); set TENANTPLANE_RUNBOOK_PYTHON to an interpreter under /usr"
            )
        elif refusal := _probe(bwrap, program, config):
            problems[kind] = refusal
        else:
            interpreters[kind] = program
    return SandboxStatus(bwrap=bwrap, interpreters=interpreters, problems=problems)


def _probe(bwrap: str, program: str, config: SandboxConfig) -> str | None:
    """None when a throwaway account can start `program` inside the sandbox, else why not."""
    account = account_for_run(())
    with tempfile.TemporaryDirectory(prefix="tp-probe-") as scratch:
        os.chmod(scratch, 0o755)
        command = [bwrap, *bwrap_arguments(workdir=Path(scratch), tmp_bytes=1 << 20, config=config), program, "-c", ""]
        return _run_probe(command, program, account)


def _run_probe(command: list[str], program: str, account: RunAccount) -> str | None:
    try:
        done = subprocess.run(
            command, user=account.uid, group=account.uid, extra_groups=None if account.uid is None else [],
            env={"PATH": SAFE_PATH}, cwd="/", stdin=subprocess.DEVNULL, capture_output=True,
            timeout=_PROBE_SECONDS, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"the sandbox could not start {program}: {error}"
    if done.returncode != 0:
        said = done.stderr.decode(errors="replace").strip().splitlines()
        return f"the sandbox could not start {program}: {said[-1] if said else f'exit code {done.returncode}'}"
    return None
