"""What a runbook script may reach: no network at all, or the host's network filtered per run by nftables.

Only loopback is ever connected to. Other addresses are checked where no packet can leave: in `none` mode the
script's namespace has no route; in `egress` mode the kernel's rule set is read back instead of sending.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from tenantplane.runbooks.isolation import SandboxConfig
from tenantplane.runbooks.network import (
    TABLE,
    RunNetwork,
    ensure_rules,
    forget_finished_runs,
    rules_script,
    run_network,
)
from tenantplane.runbooks.orphans import process_table
from tenantplane.runbooks.sandbox import SandboxLimits, ScriptResult, run_script

ROOT_WITH_NFT = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("nft") is None, reason="kernel rules need a root worker with nftables"
)


async def run(script: str, *, network: str, grant: RunNetwork = RunNetwork()) -> ScriptResult:
    config = SandboxConfig(network=network)  # type: ignore[arg-type]
    return await run_script(
        kind="shell", script=script, parameters={}, secrets={}, earlier_outputs={},
        limits=SandboxLimits(timeout_seconds=30), config=config, network=grant,
    )  # fmt: skip


@pytest.fixture
def listener() -> Iterator[tuple[int, list[str]]]:
    accepted: list[str] = []
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.1)
    running = True

    def accept() -> None:
        while running:
            try:
                connection, peer = server.accept()
            except OSError:
                continue
            accepted.append(str(peer))
            connection.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    running = False
    thread.join()
    server.close()


def tcp(host: str, port: int) -> str:
    return f'timeout 5 bash -c "exec 3<>/dev/tcp/{host}/{port}" 2>&1 && echo open || echo refused'


async def test_without_network_a_script_has_only_its_own_loopback(listener: tuple[int, list[str]]) -> None:
    port, accepted = listener
    # 169.254.169.254 is safe to try here: the namespace has no route, so nothing is sent.
    result = await run(f"{tcp('127.0.0.1', port)}\n{tcp('169.254.169.254', 80)}\nip -o link | wc -l", network="none")

    assert "open" not in result.log.split()
    assert result.log.splitlines().count("refused") == 2, result.log
    assert "Network is unreachable" in result.log
    assert result.log.strip().endswith("1"), "one interface: its own loopback"
    assert accepted == []


def test_the_rule_set_parses_in_the_kernel() -> None:
    nft = shutil.which("nft")
    if nft is None or os.geteuid() != 0:
        pytest.skip("nft needs root to check a rule set")
    done = subprocess.run([nft, "-c", "-f", "-"], input=rules_script(never_extra=["192.0.2.10", "127.0.0.1"]).encode(),
                          capture_output=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()


def test_the_rules_refuse_loopback_link_local_and_the_database_before_any_allowance() -> None:
    script = rules_script(never_extra=["192.0.2.10"])
    never_line = next(line for line in script.splitlines() if "set never4" in line)
    for network in ("127.0.0.0/8", "169.254.0.0/16", "192.0.2.10"):
        assert network in never_line
    chain = script[script.index("chain output") :]
    assert chain.index("@never4") < chain.index("@allowed4") < chain.index("@private4")


async def test_the_operator_list_allows_private_networks_and_a_tenant_list_restricts() -> None:
    operator_only = await run_network(operator_allowed=["10.1.0.0/16"], tenant_allowed=[])
    assert operator_only == RunNetwork(allowed=(ipaddress.ip_network("10.1.0.0/16"),), restricted=False)

    narrowed = await run_network(
        operator_allowed=["10.1.0.0/16"], tenant_allowed=["10.1.2.0/24", "10.9.0.0/16", "198.51.100.7"]
    )
    # 10.9/16 is private and not the operator's to give: dropped; a documentation range is private too.
    assert narrowed.restricted
    assert narrowed.allowed == (ipaddress.ip_network("10.1.2.0/24"),)

    public = await run_network(operator_allowed=[], tenant_allowed=["8.8.8.8"])
    assert public.allowed == (ipaddress.ip_network("8.8.8.8/32"),)


@ROOT_WITH_NFT
async def test_with_egress_loopback_stays_closed_and_nothing_arrives(listener: tuple[int, list[str]]) -> None:
    port, accepted = listener
    await ensure_rules()

    result = await run(f"{tcp('127.0.0.1', port)}\n{tcp('127.0.0.2', port)}", network="egress")

    assert result.status == "succeeded", result
    assert result.log.splitlines().count("refused") == 2, result.log
    assert accepted == []
    assert "169.254.0.0/16" in _element("never4", "169.254.169.254")  # the metadata address: refused, never sent


@ROOT_WITH_NFT
async def test_a_runs_allowances_are_in_the_kernel_only_while_it_runs() -> None:
    grant = RunNetwork(allowed=(ipaddress.ip_network("10.77.0.0/16"),), restricted=True)
    task = asyncio.create_task(run("id -u; sleep 2", network="egress", grant=grant))
    uid = None
    for _ in range(100):
        listed = _list("allowed4")
        if "10.77.0.0/16" in listed:
            uid = listed.split("10.77.0.0/16")[0].split()[-2]
            break
        await asyncio.sleep(0.05)
    assert uid is not None, "the run's allowance never appeared"
    assert uid in _list("restricted")
    result = await task
    assert result.log.split()[0] == uid
    assert "10.77.0.0/16" not in _list("allowed4")
    assert uid not in _list("restricted")


def _list(set_name: str) -> str:
    done = subprocess.run(["nft", "list", "set", "inet", TABLE, set_name], capture_output=True, text=True, check=True)
    return done.stdout


def _element(set_name: str, value: str) -> str:
    done = subprocess.run(["nft", "get", "element", "inet", TABLE, set_name, f"{{ {value} }}"],
                          capture_output=True, text=True, check=False)  # fmt: skip
    return done.stdout if done.returncode == 0 else ""


@ROOT_WITH_NFT
async def test_the_sweep_forgets_allowances_a_dead_worker_left_and_keeps_live_ones() -> None:
    await ensure_rules()
    dead, live = 1_900_000_011, 1_900_000_012
    subprocess.run(
        ["nft", "add", "element", "inet", TABLE, "allowed4", f"{{ {dead} . 10.66.0.0/16, {live} . 10.67.0.0/16 }}"],
        check=True,
    )
    subprocess.run(["nft", "add", "element", "inet", TABLE, "restricted", f"{{ {dead} }}"], check=True)

    running = {owner for _, owner, _, _ in process_table()}  # other runs going on now keep theirs
    assert forget_finished_runs(running | {live}) == 2

    assert "10.66.0.0/16" not in _list("allowed4")
    assert str(dead) not in _list("restricted")
    assert "10.67.0.0/16" in _list("allowed4")
    subprocess.run(["nft", "delete", "element", "inet", TABLE, "allowed4", f"{{ {live} . 10.67.0.0/16 }}"], check=True)


@ROOT_WITH_NFT
def test_a_second_worker_joins_the_table_with_a_database_address_it_already_covers() -> None:
    # Another worker made the table; this one's database is on loopback (already refused) and on 192.0.2.10.
    subprocess.run(["nft", "-f", "-"], input=rules_script().encode(), check=True)
    join = "import asyncio; from tenantplane.runbooks.network import ensure_rules as e; "
    join += "asyncio.run(e(['127.0.0.1', '192.0.2.10']))"

    done = subprocess.run([sys.executable, "-c", join], capture_output=True, text=True, timeout=60, check=False)

    assert done.returncode == 0, done.stderr
    assert "192.0.2.10" in _element("never4", "192.0.2.10")
