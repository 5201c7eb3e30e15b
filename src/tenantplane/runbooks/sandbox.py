"""Runbook script actions: a shell or python script run confined (see `isolation`) as a limited child process.

Parameters, earlier outputs and secrets reach the script only through its environment and stdin; a runaway script
is killed with everything it started, and the worker carries on.

Limits: CPU, address space and file size per process (rlimits set by a launcher shell before bwrap starts), a
process limit per run (RLIMIT_NPROC counts per user: as root each run has its own throwaway uid; otherwise the
limit is raised by what the worker's user already runs), a wall-clock timeout, and a size cap on /tmp. The script
is pid 2 of its own pid namespace, so whatever it starts in the background dies with it.

When the worker itself dies (SIGKILL, OOM, power cut of its container), its scripts must not keep running: the
launcher gets SIGKILL as its parent-death signal (`setpriv --pdeathsig`) and bwrap takes the namespace down with
it (`--die-with-parent`); work directories left behind are removed by the next sweep (`orphans.reap_orphans`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import math
import os
import re
import resource
import shutil
import signal
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from tenantplane.runbooks.isolation import (
    SAFE_PATH,
    RunAccount,
    SandboxConfig,
    SandboxUnavailable,
    account_for_run,
    bash_path,
    bwrap_arguments,
    sandbox_status,
)
from tenantplane.runbooks.network import (
    NetworkUnavailable,
    RunNetwork,
    database_hosts,
    granted,
    network_mode,
)
from tenantplane.runbooks.orphans import (
    SUPERVISOR_VARIABLE,
    WORKDIR_PREFIX,
    descendants,
    kill_uid_processes,
    kill_uid_processes_soon,
    process_owners,
    process_table,
    remove_workdir,
    supervisor_token,
)
from tenantplane.runbooks.outputs import OutputListener, ScriptLog, SecretMask, explain_exit, read_outputs_file
from tenantplane.secrets.names import ENV_NAME, is_reserved_env_name

ScriptKind = Literal["shell", "python"]
DEFAULT_CONFIG = SandboxConfig()
NO_ALLOWANCES = RunNetwork()
ScriptStatus = Literal["succeeded", "failed", "timed_out", "cancelled"]

OUTPUTS_FILE_NAME = "tp_output"
_ENV_VALUE_MAX_CHARS = 32 * 1024
_PIPE_DRAIN_SECONDS = 2.0


@dataclass(frozen=True)
class SandboxLimits:
    """Limits of one script run. CPU, memory and file size apply to each process of the run."""

    timeout_seconds: float = 300
    cpu_seconds: float | None = None  # None: the wall-clock timeout
    memory_bytes: int = 1 << 30  # address space (RLIMIT_AS)
    file_size_bytes: int = 64 << 20
    max_processes: int = 256
    output_bytes: int = 1 << 20  # stdout and stderr together, kept in the log
    outputs_file_bytes: int = 1 << 20
    kill_grace_seconds: float = 2.0  # between SIGTERM and SIGKILL on timeout or cancel

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if value is not None and value <= 0:
                raise ValueError(f"sandbox limit {name} must be positive, not {value}")

    @property
    def effective_cpu_seconds(self) -> int:
        seconds = self.timeout_seconds if self.cpu_seconds is None else self.cpu_seconds
        return max(1, math.ceil(seconds))


@dataclass(frozen=True)
class ScriptResult:
    status: ScriptStatus
    exit_code: int | None
    signal: int | None
    reason: str
    outputs: dict[str, Any]
    log: str
    truncated: bool
    started_at: datetime
    finished_at: datetime
    duration_ms: int
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Ending:
    how: Literal["exited", "timed_out", "cancelled"]
    returncode: int


async def run_script(
    *,
    kind: ScriptKind,
    script: str,
    parameters: Mapping[str, Any],
    secrets: Mapping[str, str],
    earlier_outputs: Mapping[str, Any],
    limits: SandboxLimits,
    config: SandboxConfig = DEFAULT_CONFIG,
    network: RunNetwork = NO_ALLOWANCES,
    on_output: OutputListener | None = None,
    cancel: asyncio.Event | None = None,
) -> ScriptResult:
    """Runs one script action to its end; raises ValueError for a secret name that is not allowed."""
    started_at, started = datetime.now(UTC), time.monotonic()
    supervisor = supervisor_token()
    workdir = Path(tempfile.mkdtemp(prefix=f"{WORKDIR_PREFIX}{supervisor}-"))
    try:
        environment, notes = _script_environment(workdir, parameters, secrets, earlier_outputs)
        environment[SUPERVISOR_VARIABLE] = supervisor
        sandbox = await sandbox_status(config)
        mask = SecretMask(secrets)
        log = ScriptLog(mask=mask, cap_bytes=limits.output_bytes, listener=on_output)
        try:
            program = sandbox.interpreter(kind)
        except SandboxUnavailable as unavailable:
            return _result(None, f"the runbook sandbox refused to run it: {unavailable}", log, {}, started_at,
                           started, notes)  # fmt: skip
        try:
            mode = await network_mode(config.network, database_hosts(config.database_url))
        except NetworkUnavailable as unavailable:
            return _result(None, f"the runbook sandbox refused to run it: {unavailable}", log, {}, started_at,
                           started, notes)  # fmt: skip
        account = account_for_run(owner for _, owner in process_owners())
        script_path = workdir / ("action.py" if kind == "python" else "action.sh")
        script_path.write_text(script, encoding="utf-8")
        if account.uid is not None:
            for path in (workdir, script_path):
                os.chown(path, account.uid, account.uid)
        share_net = mode == "egress" and account.uid is not None
        isolation = bwrap_arguments(
            workdir=workdir, tmp_bytes=limits.file_size_bytes, config=config, share_net=share_net
        )
        confined = [sandbox.bwrap or "bwrap", *isolation]
        interpreter = [program, "-I"] if kind == "python" else [program]
        command = [*_launcher(limits, account), *confined, "--", *interpreter, str(script_path)]
        payload = json.dumps({"parameters": parameters, "outputs": earlier_outputs}, default=str) + "\n"
        async with contextlib.AsyncExitStack() as allowances:
            if share_net:
                assert account.uid is not None
                await allowances.enter_async_context(granted(account.uid, network))
            try:
                transport, protocol = await _start(command, workdir=workdir, environment=environment, account=account)
            except OSError as error:
                return _result(None, f"could not start the script: {error}", log, {}, started_at, started, notes)
            try:
                ending = await _supervise(transport, protocol, log, payload, limits, cancel, account)
            finally:
                transport.close()
        outputs, output_notes = read_outputs_file(
            workdir / OUTPUTS_FILE_NAME, max_bytes=limits.outputs_file_bytes, owner_uid=account.uid
        )
        notes += mask.notes + log.notes + output_notes
        reason, outputs = _reason(ending, limits, log), mask.apply_to_outputs(outputs)
        return _result(ending, reason, log, outputs, started_at, started, notes)
    finally:
        remove_workdir(workdir)


class _ScriptProtocol(asyncio.subprocess.SubprocessStreamProtocol):
    """Stream protocol that also tells when the script exits, not only when its pipes close.

    A background child (`sleep 1000 &`) keeps the pipes open after the script itself ended.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(limit=1 << 16, loop=loop)
        self.exited: asyncio.Future[None] = loop.create_future()

    def process_exited(self) -> None:
        super().process_exited()
        if not self.exited.done():
            self.exited.set_result(None)


async def _start(
    command: list[str], *, workdir: Path, environment: dict[str, str], account: RunAccount
) -> tuple[asyncio.SubprocessTransport, _ScriptProtocol]:
    loop = asyncio.get_running_loop()
    pipe = asyncio.subprocess.PIPE
    # setpriv (in the command) switches to the run's account; without setpriv, the forked child does.
    uid = account.uid if _setpriv_path() is None else None
    return await loop.subprocess_exec(
        lambda: _ScriptProtocol(loop), *command, stdin=pipe, stdout=pipe, stderr=pipe, cwd=workdir,
        env=environment, start_new_session=True, user=uid, group=uid, extra_groups=None if uid is None else [],
        umask=0o077,
    )  # fmt: skip


async def _supervise(
    transport: asyncio.SubprocessTransport,
    protocol: _ScriptProtocol,
    log: ScriptLog,
    payload: str,
    limits: SandboxLimits,
    cancel: asyncio.Event | None,
    account: RunAccount,
) -> _Ending:
    """Waits for exit, timeout or cancel; afterwards no process of the run is left and the log is complete."""
    assert protocol.stdin is not None
    assert protocol.stdout is not None
    assert protocol.stderr is not None
    group = transport.get_pid()
    pumps = [
        asyncio.create_task(_pump(protocol.stdout, "stdout", log)),
        asyncio.create_task(_pump(protocol.stderr, "stderr", log)),
    ]
    feeder = asyncio.create_task(_feed(protocol.stdin, payload))
    cancel_wait = asyncio.create_task((cancel or asyncio.Event()).wait())
    try:
        watched: list[asyncio.Future[Any]] = [protocol.exited, cancel_wait]
        done, _ = await asyncio.wait(watched, timeout=limits.timeout_seconds, return_when=asyncio.FIRST_COMPLETED)
        how: Literal["exited", "timed_out", "cancelled"] = (
            "exited" if protocol.exited in done else "cancelled" if done else "timed_out"
        )
        if how != "exited":
            _terminate_inside(group)
            await asyncio.wait([protocol.exited], timeout=limits.kill_grace_seconds)
        # Whatever the script left behind (`sleep 1000 &`) goes with it.
        _signal_group(group, signal.SIGKILL)
        await kill_uid_processes_soon(account.uid)
        await protocol.exited
        _, stuck = await asyncio.wait(pumps, timeout=_PIPE_DRAIN_SECONDS)
        if stuck:
            log.notes.append("log may be incomplete: a process outside the group still held the output")
        returncode = transport.get_returncode()
        assert returncode is not None
        return _Ending(how, returncode)
    except BaseException:
        _signal_group(group, signal.SIGKILL)  # the caller was cancelled: leave nothing running
        kill_uid_processes(account.uid)
        raise
    finally:
        for task in [*pumps, feeder, cancel_wait]:
            task.cancel()


async def _pump(stream: asyncio.StreamReader, name: str, log: ScriptLog) -> None:
    while chunk := await stream.read(1 << 16):
        await log.receive(name, chunk)
    await log.close(name)


async def _feed(stdin: asyncio.StreamWriter, payload: str) -> None:
    """Writes the parameters document; a script that never reads stdin is fine."""
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        stdin.write(payload.encode())
        await stdin.drain()
        stdin.close()


def _terminate_inside(bwrap_pid: int) -> None:
    """SIGTERM to the script and what it started, so it can clean up; not to bwrap or its pid-1 reaper.

    bwrap does not pass signals on: a SIGTERM to it would end the namespace at once, without the grace.
    """
    reaper = descendants(bwrap_pid)[:1]
    for pid in descendants(bwrap_pid):
        if pid not in reaper:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGTERM)


def _signal_group(group: int, signal_number: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal_number)


def _launcher(limits: SandboxLimits, account: RunAccount) -> list[str]:
    """A bash that sets the limits on itself, then execs the script: no Python runs between fork and exec."""
    cpu = limits.effective_cpu_seconds
    settings = [
        "ulimit -c 0",
        f"ulimit -v {_kib(resource.RLIMIT_AS, limits.memory_bytes)}",
        f"ulimit -f {_kib(resource.RLIMIT_FSIZE, limits.file_size_bytes)}",
        f"ulimit -t {_clamped(resource.RLIMIT_CPU, cpu + 1)}",  # hard: SIGKILL a second after SIGXCPU
        f"ulimit -S -t {_clamped(resource.RLIMIT_CPU, cpu)}",
    ]
    if account.uid is not None:
        settings.append(f"ulimit -u {_clamped(resource.RLIMIT_NPROC, limits.max_processes)}")
    elif os.geteuid() != 0:
        uid = os.getuid()
        already = sum(threads for _, owner, threads, _ in process_table() if owner == uid)
        settings.append(f"ulimit -u {_clamped(resource.RLIMIT_NPROC, limits.max_processes + already)}")
    return [*_setpriv(account), bash_path(), "-c", " && ".join(settings) + ' && exec "$0" "$@"']


@functools.cache
def _setpriv_path() -> str | None:
    return shutil.which("setpriv", path=SAFE_PATH)


def _setpriv(account: RunAccount) -> list[str]:
    """`setpriv --pdeathsig KILL`: the script dies with the worker (it keeps the signal across its exec); setpriv also
    takes on the throwaway account, so Python spawns with vfork (a child that switches uid itself needs a fork, which
    copies the worker's page tables: ~4 ms of a 150 MB worker's event loop per run)."""
    setpriv = _setpriv_path()
    if setpriv is None:
        return []
    switch = [] if account.uid is None else [f"--reuid={account.uid}", f"--regid={account.uid}", "--clear-groups"]
    return [setpriv, "--pdeathsig", "KILL", *switch, "--"]


def _clamped(limit: int, value: int) -> int:
    """An unprivileged process cannot raise its hard limit; ask for no more than the worker has."""
    hard = resource.getrlimit(limit)[1]
    return value if hard == resource.RLIM_INFINITY else min(value, hard)


def _kib(limit: int, value: int) -> int:
    return _clamped(limit, math.ceil(value / 1024) * 1024) // 1024


def _script_environment(
    workdir: Path, parameters: Mapping[str, Any], secrets: Mapping[str, str], earlier_outputs: Mapping[str, Any]
) -> tuple[dict[str, str], list[str]]:
    """The whole environment of the script; nothing is inherited from the worker."""
    environment = {
        "PATH": SAFE_PATH, "HOME": str(workdir), "LANG": "C.UTF-8", "TMPDIR": str(workdir),
        "TP_WORKDIR": str(workdir), "TP_OUTPUT": str(workdir / OUTPUTS_FILE_NAME),
    }  # fmt: skip
    notes: list[str] = []
    for prefix, values in (("TP_PARAM_", parameters), ("TP_OUTPUT_", earlier_outputs)):
        for name, value in values.items():
            variable = prefix + re.sub(r"[^A-Z0-9]", "_", str(name).upper())
            text = value if isinstance(value, str) else json.dumps(value, default=str)
            if variable in environment:
                notes.append(f"{variable} is set by more than one name; the last one wins")
            if len(text) > _ENV_VALUE_MAX_CHARS or "\0" in text:
                notes.append(f"{variable} not set (too long or contains NUL); read it from stdin")
                continue
            environment[variable] = text
    for name, value in secrets.items():
        if not ENV_NAME.fullmatch(name) or is_reserved_env_name(name):
            raise ValueError(f"secret name {name!r} cannot be used as an environment variable")
        if "\0" in value:
            raise ValueError(f"secret {name!r} contains a NUL character")
        environment[name] = value
    return environment, notes


def _result(
    ending: _Ending | None, reason: str, log: ScriptLog, outputs: dict[str, Any],
    started_at: datetime, started: float, notes: list[str],
) -> ScriptResult:  # fmt: skip
    code = ending.returncode if ending else None
    status: ScriptStatus = "succeeded" if code == 0 else "failed"
    if ending and ending.how != "exited":
        status = ending.how
    return ScriptResult(
        status=status, exit_code=code if code is not None and code >= 0 else None,
        signal=-code if code is not None and code < 0 else None, reason=reason, outputs=outputs,
        log=log.text, truncated=log.truncated, started_at=started_at, finished_at=datetime.now(UTC),
        duration_ms=round((time.monotonic() - started) * 1000), notes=tuple(notes),
    )  # fmt: skip


def _reason(ending: _Ending, limits: SandboxLimits, log: ScriptLog) -> str:
    if ending.how == "timed_out":
        reason = f"killed after {limits.timeout_seconds:g}s wall-clock timeout"
    elif ending.how == "cancelled":
        reason = "cancelled; process group killed"
    else:
        reason = explain_exit(
            ending.returncode, shell=True, log_tail=log.text[-4096:],  # bwrap passes a signal death on as 128+n
            memory_bytes=limits.memory_bytes, file_size_bytes=limits.file_size_bytes,
            max_processes=limits.max_processes,
        )  # fmt: skip
    return reason + (f"; output truncated after {limits.output_bytes} bytes" if log.truncated else "")
