"""The runbook script sandbox, exercised with real bash and python child processes.

Each test states one promise of PRODUCT.md §5: parameters are data, the environment is scrubbed,
secrets are masked, limits hold, and a runaway script is killed while the worker carries on.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tenantplane.runbooks import orphans
from tenantplane.runbooks.isolation import SandboxConfig, sandbox_status
from tenantplane.runbooks.orphans import reap_orphans
from tenantplane.runbooks.sandbox import SandboxLimits, ScriptKind, ScriptResult, run_script

QUICK = SandboxLimits(timeout_seconds=20)


async def run(
    script: str,
    *,
    kind: ScriptKind = "shell",
    parameters: dict[str, Any] | None = None,
    secrets: dict[str, str] | None = None,
    earlier_outputs: dict[str, Any] | None = None,
    limits: SandboxLimits = QUICK,
    chunks: list[tuple[str, str]] | None = None,
    cancel: asyncio.Event | None = None,
) -> ScriptResult:
    async def collect(stream: str, text: str) -> None:
        if chunks is not None:
            chunks.append((stream, text))

    return await run_script(
        kind=kind,
        script=script,
        parameters=parameters or {},
        secrets=secrets or {},
        earlier_outputs=earlier_outputs or {},
        limits=limits,
        on_output=collect,
        cancel=cancel,
    )


def processes_mentioning(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


async def assert_no_process_mentions(marker: str) -> None:
    """SIGKILL is delivered at once but a dying process needs a moment to leave /proc."""
    for _ in range(40):
        if not processes_mentioning(marker):
            return
        await asyncio.sleep(0.05)
    pytest.fail(f"processes still running for {marker}: {processes_mentioning(marker)}")


def workdir_from(log: str) -> str:
    first_line = log.splitlines()[0]
    assert first_line.startswith(tempfile.gettempdir()), first_line
    return first_line


def unique_sleep() -> str:
    return f"{random.randint(100_000, 999_999)}.25"


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A world-writable directory: whatever user the sandbox picks could delete things in it."""
    directory = Path(tempfile.mkdtemp(prefix="tp-sandbox-test-"))
    directory.chmod(0o777)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


async def test_a_shell_script_reports_key_value_outputs() -> None:
    result = await run(
        'echo "hello"\n{ echo "# a comment"; echo; echo "host=db-1"; echo "url=http://x/?a=b"; } >> "$TP_OUTPUT"'
    )

    assert result.status == "succeeded"
    assert result.exit_code == 0
    assert result.signal is None
    assert result.outputs == {"host": "db-1", "url": "http://x/?a=b"}
    assert result.log == "hello\n"
    assert result.reason == "exit code 0"
    assert result.finished_at >= result.started_at
    assert result.duration_ms >= 0


async def test_a_script_reports_a_json_object_as_outputs() -> None:
    result = await run("""echo '{"count": 3, "hosts": ["a", "b"]}' > "$TP_OUTPUT" """)

    assert result.outputs == {"count": 3, "hosts": ["a", "b"]}


async def test_an_invalid_outputs_line_is_reported_in_the_notes() -> None:
    result = await run('printf "ok=1\\nnot a pair\\n" > "$TP_OUTPUT"')

    assert result.outputs == {"ok": "1"}
    assert "outputs line 2 ignored: expected key=value" in result.notes


async def test_a_python_action_runs_with_the_system_interpreter_the_sandbox_shows() -> None:
    script = (
        'import json, os, sys\nprint(sys.executable)\nopen(os.environ["TP_OUTPUT"], "w").write(json.dumps({"x": 1}))'
    )

    result = await run(script, kind="python")

    assert result.status == "succeeded", result
    assert result.log.strip() == (await sandbox_status(SandboxConfig())).interpreter("python")
    assert result.log.strip().startswith("/usr/"), "never the worker's own (virtualenv) interpreter"
    assert result.outputs == {"x": 1}


async def test_a_parameter_is_data_never_script_text() -> None:
    value = "; rm -rf keep-me $(rm -rf keep-me) `rm -rf keep-me`"
    script = 'mkdir keep-me\necho "target: $TP_PARAM_TARGET"\necho "target=$TP_PARAM_TARGET" > "$TP_OUTPUT"\n'

    result = await run(script + "test -d keep-me && echo kept", parameters={"target": value})

    assert result.status == "succeeded"
    assert result.log == f"target: {value}\nkept\n"
    assert result.outputs == {"target": value}
    # Control: the script could have deleted the marker, had the value been run as code.
    control = await run(
        'mkdir keep-me\nrm -rf "$TP_PARAM_DIR"\ntest -d keep-me || echo gone', parameters={"dir": "keep-me"}
    )
    assert control.log == "gone\n"


async def test_parameters_and_earlier_outputs_arrive_as_json_on_stdin() -> None:
    script = "import json, sys\ndocument = json.load(sys.stdin)\nprint(document['parameters']['n'] + 1)\n"
    script += "print(document['outputs']['lookup']['host'])"

    result = await run(script, kind="python", parameters={"n": 41}, earlier_outputs={"lookup": {"host": "db-1"}})

    assert result.log == "42\ndb-1\n"


async def test_a_shell_script_reads_the_same_document_from_stdin() -> None:
    result = await run("cat", parameters={"name": 'it\'s "quoted"'}, earlier_outputs={"k": "v"})

    assert result.log == '{"parameters": {"name": "it\'s \\"quoted\\""}, "outputs": {"k": "v"}}\n'


async def test_parameters_and_earlier_outputs_arrive_as_environment_variables() -> None:
    result = await run(
        'echo "$TP_PARAM_TARGET_HOST|$TP_PARAM_COUNT|$TP_PARAM_FLAGS|$TP_OUTPUT_LOOKUP"',
        parameters={"target-host": "db-1", "count": 3, "flags": {"dry": True}},
        earlier_outputs={"lookup": "found"},
    )

    assert result.log == 'db-1|3|{"dry": true}|found\n'


async def test_the_worker_environment_is_invisible_to_the_script(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TENANTPLANE_SECRET_KEY", "worker-key-123")
    monkeypatch.setenv("TENANTPLANE_DATABASE_URL", "postgresql://tp:pw@db/tp")
    monkeypatch.setenv("LD_PRELOAD", "/nonexistent.so")

    result = await run("env", parameters={"x": "1"}, secrets={"API_TOKEN": "token-value-1"})

    names = {line.split("=", 1)[0] for line in result.log.splitlines()}
    bash_own = {"PWD", "SHLVL", "_"}
    assert names - bash_own == {
        "PATH",
        "HOME",
        "LANG",
        "TMPDIR",
        "TP_OUTPUT",
        "TP_WORKDIR",
        "TP_PARAM_X",
        "API_TOKEN",
        "TP_SUPERVISOR",
    }
    assert "worker-key-123" not in result.log
    assert "postgresql://" not in result.log


async def test_the_script_does_not_run_as_root_when_the_worker_is_root() -> None:
    result = await run("id -u")

    uid = int(result.log)
    if os.geteuid() == 0:
        assert uid != 0
    else:
        assert uid == os.getuid()


async def test_a_worker_that_is_not_root_runs_scripts_as_itself_with_room_for_its_own_processes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 4242)
    limits = SandboxLimits(timeout_seconds=20, max_processes=10)

    result = await run("id -u\nulimit -u", limits=limits)

    uid, process_limit = result.log.split()
    assert int(uid) == os.getuid()
    assert int(process_limit) > limits.max_processes
    assert result.notes == ()


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="timeout_seconds"):
        SandboxLimits(timeout_seconds=0)


async def test_a_secret_name_that_would_steer_the_interpreter_is_refused() -> None:
    with pytest.raises(ValueError, match="LD_PRELOAD"):
        await run("true", secrets={"LD_PRELOAD": "/tmp/evil.so"})


@pytest.mark.parametrize(
    ("kind", "script"),
    [
        (
            "shell",
            'printf "%s" "${API_TOKEN:0:6}"; sleep 0.3; printf "%s\\n" "${API_TOKEN:6}"\n'
            'echo "again $API_TOKEN" >&2\necho "token=$API_TOKEN" >> "$TP_OUTPUT"',
        ),
        (
            "python",
            "import os, sys, time\nsecret = os.environ['API_TOKEN']\n"
            "sys.stdout.write(secret[:6]); sys.stdout.flush(); time.sleep(0.3); print(secret[6:])\n"
            "print('again', secret, file=sys.stderr)\n"
            "open(os.environ['TP_OUTPUT'], 'w').write('token=' + secret)",
        ),
    ],
)
async def test_a_secret_is_masked_in_the_log_and_outputs_even_when_printed_in_two_halves(
    kind: ScriptKind, script: str
) -> None:
    secret = "s3cr3t-Value-42"
    chunks: list[tuple[str, str]] = []

    result = await run(script, kind=kind, secrets={"API_TOKEN": secret}, chunks=chunks)

    streamed = "".join(text for _, text in chunks)
    assert secret not in result.log
    assert secret[:6] not in result.log
    assert secret not in streamed
    assert secret[:6] not in streamed
    assert result.log.count("***") == 2
    assert result.outputs == {"token": "***"}


async def test_a_non_zero_exit_fails_with_its_exit_code() -> None:
    result = await run("echo about to fail >&2\nexit 3")

    assert result.status == "failed"
    assert result.exit_code == 3
    assert result.reason == "exit code 3"
    assert result.log == "about to fail\n"


async def test_an_endless_loop_is_killed_at_the_wall_clock_timeout() -> None:
    limits = SandboxLimits(timeout_seconds=1)

    result = await run('echo "$TP_WORKDIR"\nwhile :; do sleep 0.1; done', limits=limits)

    workdir = workdir_from(result.log)
    assert result.status == "timed_out"
    assert result.reason == "killed after 1s wall-clock timeout"
    assert result.exit_code == 128 + signal.SIGTERM  # the script itself got the SIGTERM (bwrap reports 128+n)
    assert 1000 <= result.duration_ms < 3000
    await assert_no_process_mentions(workdir)
    assert not Path(workdir).exists()


async def test_a_timed_out_script_gets_sigterm_first_to_clean_up() -> None:
    limits = SandboxLimits(timeout_seconds=1, kill_grace_seconds=5)

    result = await run("trap 'echo cleaning up; exit 3' TERM\nwhile :; do sleep 0.1; done", limits=limits)

    assert result.status == "timed_out"
    assert result.log.endswith("cleaning up\n")  # (bash may first say its sleep was "Terminated")
    assert result.exit_code == 3
    assert result.duration_ms < 4000


async def test_a_script_that_ignores_sigterm_is_killed_after_the_grace() -> None:
    limits = SandboxLimits(timeout_seconds=1, kill_grace_seconds=0.5)

    result = await run("trap '' TERM\nwhile :; do sleep 0.1; done", limits=limits)

    assert result.status == "timed_out"
    assert result.signal == signal.SIGKILL
    assert 1500 <= result.duration_ms < 3000


async def test_a_background_child_is_killed_when_the_script_exits() -> None:
    marker = unique_sleep()

    result = await run(f"sleep {marker} &\necho started")

    assert result.status == "succeeded"
    assert result.log == "started\n"
    assert result.duration_ms < 2000
    await assert_no_process_mentions(marker)


async def test_a_background_child_is_killed_when_the_script_times_out() -> None:
    marker = unique_sleep()

    result = await run(f"sleep {marker} &\nwhile :; do sleep 0.1; done", limits=SandboxLimits(timeout_seconds=1))

    assert result.status == "timed_out"
    await assert_no_process_mentions(marker)


@pytest.mark.skipif(os.geteuid() != 0, reason="only a worker running as root can sweep a throwaway uid")
async def test_a_child_that_left_the_process_group_is_killed_too() -> None:
    marker = unique_sleep()

    result = await run(f"setsid sleep {marker} &\nsleep 0.2\necho started")

    assert result.status == "succeeded"
    await assert_no_process_mentions(marker)


async def test_a_fork_bomb_is_contained_and_the_worker_runs_the_next_script() -> None:
    limits = SandboxLimits(timeout_seconds=2, max_processes=64)
    chunks: list[tuple[str, str]] = []
    bomb = asyncio.create_task(run('echo "$TP_WORKDIR"\n:(){ :|:& };:\nsleep 30', limits=limits, chunks=chunks))
    await asyncio.sleep(1.2)
    # Mid-bomb the worker can still start processes, and the bomb stays within its limit.
    helper = await asyncio.create_subprocess_exec("true")
    assert await helper.wait() == 0
    workdir = workdir_from(chunks[0][1])
    bomb_size = len(processes_mentioning(workdir))

    result = await bomb

    assert 10 < bomb_size <= limits.max_processes
    assert result.status == "timed_out"
    await assert_no_process_mentions(workdir)
    after = await run("echo ok")
    assert after.status == "succeeded"
    assert after.log == "ok\n"


async def test_a_flood_of_output_is_capped_and_the_script_still_finishes() -> None:
    limits = SandboxLimits(timeout_seconds=60, output_bytes=1 << 20)
    started = time.monotonic()

    result = await run("yes | head -c 1G\necho done >&2", limits=limits)

    assert result.status == "succeeded"
    assert result.truncated
    assert f"[output truncated after {1 << 20} bytes]" in result.log
    assert len(result.log.encode()) < (1 << 20) + 200
    assert "output truncated" in result.reason
    assert time.monotonic() - started < 20


async def test_a_memory_hog_fails_with_a_clear_reason() -> None:
    limits = SandboxLimits(timeout_seconds=20, memory_bytes=256 << 20)

    result = await run("data = bytearray(2 * 1024**3)\nprint(len(data))", kind="python", limits=limits)

    assert result.status == "failed"
    assert result.reason == "exit code 1 (out of memory: limit 256 MiB)"


async def test_the_file_size_limit_stops_a_large_write() -> None:
    limits = SandboxLimits(timeout_seconds=20, file_size_bytes=1 << 20)

    result = await run("head -c 4M /dev/zero > big.bin", limits=limits)

    assert result.status == "failed"
    assert result.exit_code == 128 + signal.SIGXFSZ
    assert "SIGXFSZ: file size limit" in result.reason


async def test_the_cpu_limit_kills_a_busy_loop() -> None:
    limits = SandboxLimits(timeout_seconds=20, cpu_seconds=1)

    result = await run("while :; do :; done", limits=limits)

    assert result.status == "failed"
    assert result.exit_code == 128 + signal.SIGXCPU
    assert "SIGXCPU: CPU time limit" in result.reason


async def test_cancel_kills_the_process_group_and_removes_the_workdir() -> None:
    cancel = asyncio.Event()
    marker = unique_sleep()

    async def cancel_once_started(stream: str, text: str) -> None:
        cancel.set()

    result = await run_script(
        kind="shell",
        script=f'echo "$TP_WORKDIR"\nsleep {marker} &\nsleep 30',
        parameters={},
        secrets={},
        earlier_outputs={},
        limits=QUICK,
        on_output=cancel_once_started,
        cancel=cancel,
    )

    assert result.status == "cancelled"
    assert result.reason == "cancelled; process group killed"
    assert result.duration_ms < 3000
    await assert_no_process_mentions(marker)
    assert not Path(workdir_from(result.log)).exists()


async def test_cancelling_the_caller_kills_the_script() -> None:
    started = asyncio.Event()
    marker = unique_sleep()

    async def note_start(stream: str, text: str) -> None:
        started.set()

    task = asyncio.create_task(
        run_script(
            kind="shell",
            script=f"echo go\nsleep {marker}",
            parameters={},
            secrets={},
            earlier_outputs={},
            limits=QUICK,
            on_output=note_start,
        )
    )
    await asyncio.wait_for(started.wait(), timeout=5)
    task.cancel()

    with pytest.raises(asyncio.CancelledError):
        await task
    await assert_no_process_mentions(marker)


async def test_the_workdir_is_private_and_removed_afterwards() -> None:
    result = await run('echo "$TP_WORKDIR"\nstat -c %a "$TP_WORKDIR"\ntouch "$HOME/file" "$TMPDIR/other"\npwd')

    workdir = workdir_from(result.log)
    assert result.log.splitlines()[1:] == ["700", workdir]
    assert not Path(workdir).exists()


async def test_output_is_streamed_while_the_script_runs() -> None:
    arrivals: list[tuple[float, str, str]] = []

    async def record(stream: str, text: str) -> None:
        arrivals.append((time.monotonic(), stream, text))

    result = await run_script(
        kind="shell",
        script="echo first\necho warn >&2\nsleep 0.8\necho second",
        parameters={},
        secrets={},
        earlier_outputs={},
        limits=QUICK,
        on_output=record,
    )

    texts = [(stream, text) for _, stream, text in arrivals]
    assert texts == [("stdout", "first\n"), ("stderr", "warn\n"), ("stdout", "second\n")]
    assert arrivals[2][0] - arrivals[0][0] > 0.5
    assert result.log == "first\nwarn\nsecond\n"


async def test_a_failing_live_listener_does_not_break_the_action() -> None:
    async def broken(stream: str, text: str) -> None:
        raise ConnectionError("browser went away")

    result = await run_script(
        kind="shell",
        script="echo one\necho two",
        parameters={},
        secrets={},
        earlier_outputs={},
        limits=QUICK,
        on_output=broken,
    )

    assert result.status == "succeeded"
    assert result.log == "one\ntwo\n"
    assert any("live log streaming stopped" in note for note in result.notes)


async def test_an_outputs_file_planted_as_a_link_to_a_worker_file_is_not_read(tmp_path: Path) -> None:
    private = tmp_path / "worker-only.txt"
    private.write_text("stolen=yes\n")
    private.chmod(0o600)

    result = await run(f'ln -s "{private}" "$TP_OUTPUT"')

    assert result.outputs == {}
    assert any(note.startswith("outputs file ignored") for note in result.notes)


WORKER_SCRIPT = """
import asyncio, sys
from tenantplane.runbooks.sandbox import SandboxLimits, run_script

asyncio.run(run_script(kind="shell", script=sys.argv[1], parameters={}, secrets={}, earlier_outputs={},
                       limits=SandboxLimits(timeout_seconds=120)))
"""


def sleeping(seconds: str) -> list[int]:
    """The `sleep <seconds>` processes (not the worker, whose command line holds the whole script)."""
    return [pid for pid in processes_mentioning(seconds) if _cmdline(pid) == ["sleep", seconds]]


def _cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")[:-1]
    except OSError:
        return []


def wait_for(check: Any, what: str, timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_killed_worker_takes_its_script_along_and_the_sweep_removes_its_work_directory() -> None:
    # The worker is a real child process running the sandbox; it is SIGKILLed like an OOM kill would.
    tag = f"{random.randrange(10**6, 10**7)}"
    foreground, background = f"301.{tag}", f"302.{tag}"
    script = f"sleep {background} & exec sleep {foreground}"
    worker = subprocess.Popen([sys.executable, "-c", WORKER_SCRIPT, script])
    try:
        wait_for(lambda: sleeping(foreground) and sleeping(background), "the script to start")
        workdirs = [p for p in Path(tempfile.gettempdir()).glob(f"tp-run-{worker.pid}.*")]
        assert len(workdirs) == 1, workdirs
        worker.kill()
        worker.wait(timeout=10)
        # The parent-death signal kills the launcher, bwrap takes the script's pid namespace down with it:
        # the script and what it started in the background die with the worker, no sweep needed.
        wait_for(lambda: not sleeping(foreground), "the script to die with its worker", timeout=5)
        wait_for(lambda: not sleeping(background), "its background child to die with it", timeout=5)
        assert workdirs[0].exists(), "nobody removed the work directory yet: the sweep below proves nothing"
        reap_orphans()
        assert not workdirs[0].exists(), "the dead worker's work directory was left behind"
    finally:
        if worker.poll() is None:
            worker.kill()
        for pid in processes_mentioning(tag):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


async def test_the_sweep_leaves_the_runs_of_live_workers_alone() -> None:
    tag = f"{random.randrange(10**6, 10**7)}"
    running = asyncio.create_task(run(f"sleep 303.{tag} & sleep 1; echo done"))
    await asyncio.to_thread(wait_for, lambda: processes_mentioning(f"303.{tag}"), "the script to start")
    assert await asyncio.to_thread(reap_orphans) == 0
    result = await running
    assert (result.status, result.log.strip()) == ("succeeded", "done"), result
    assert processes_mentioning(f"303.{tag}") == [], "the run's own end must still kill its background child"


async def test_a_python_the_sandbox_cannot_show_is_refused_never_run_unconfined() -> None:
    hidden = SandboxConfig(python="/opt/venv/bin/python3")  # like a virtualenv's interpreter, outside /usr

    result = await run_script(
        kind="python", script="print('ran')", parameters={}, secrets={}, earlier_outputs={}, limits=QUICK,
        config=hidden,
    )  # fmt: skip

    assert result.status == "failed"
    assert result.log == ""
    assert "the runbook sandbox refused to run it" in result.reason
    assert "outside the system directories" in result.reason


@pytest.mark.skipif(os.geteuid() != 0, reason="throwaway uids exist only for a worker running as root")
async def test_a_script_runs_with_its_throwaway_uid_as_its_group_and_no_other_groups() -> None:
    result = await run('echo "$(id -u) $(id -g) $(id -G)"')

    uid, gid, *groups = result.log.split()
    assert uid != "0"
    assert gid == uid
    assert groups == [gid]


def test_process_owners_finds_a_process_of_another_uid_as_the_status_file_does() -> None:
    uid = os.getuid() if os.geteuid() != 0 else 1999999002
    command = (
        ["sleep", "5"]
        if os.geteuid() != 0
        else ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "sleep", "5"]
    )
    child = subprocess.Popen(command)
    try:
        deadline = time.monotonic() + 5
        while open(f"/proc/{child.pid}/comm").read().strip() != "sleep":  # setpriv has switched and exec'd
            assert time.monotonic() < deadline
            time.sleep(0.01)
        owners = dict(orphans.process_owners())
        by_status = {pid: owner for pid, owner, _, _ in orphans.process_table()}
        assert owners[child.pid] == by_status[child.pid] == uid
        assert owners[os.getpid()] == os.geteuid()
    finally:
        child.kill()
        child.wait()
