"""What a script leaves behind: outputs parsing, secret masking of split streams, the capped log, exit reasons.

Pure functions and small objects, tested without processes.
"""

from __future__ import annotations

import itertools
import os
import signal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenantplane.runbooks.outputs import (
    MASK,
    MaskedStream,
    ScriptLog,
    SecretMask,
    explain_exit,
    parse_outputs,
    read_outputs_file,
)


def test_key_value_lines_skip_blanks_and_comments_and_keep_equals_in_values() -> None:
    outputs, notes = parse_outputs("# produced by backup\n\nhost=db-1\nurl=http://x/?a=b\nhost=db-2\r\n")

    assert outputs == {"host": "db-2", "url": "http://x/?a=b"}
    assert notes == []


def test_invalid_key_value_lines_are_reported_by_number() -> None:
    outputs, notes = parse_outputs("ok=1\njust text\n=no key\nbad key=1\n")

    assert outputs == {"ok": "1"}
    assert notes == [f"outputs line {n} ignored: expected key=value" for n in (2, 3, 4)]


def test_a_json_object_is_taken_as_the_outputs() -> None:
    assert parse_outputs('  {"count": 3, "nested": {"a": [1, 2]}}\n') == ({"count": 3, "nested": {"a": [1, 2]}}, [])


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ('{"count": 3', "outputs file ignored: invalid JSON"),
        ("[1, 2]", "outputs line 1 ignored: expected key=value"),
    ],
)
def test_outputs_that_are_not_an_object_or_pairs_are_ignored_with_a_note(text: str, note: str) -> None:
    outputs, notes = parse_outputs(text)

    assert outputs == {}
    assert notes[0].startswith(note)


def test_an_empty_outputs_file_means_no_outputs() -> None:
    assert parse_outputs(" \n\n") == ({}, [])


def test_a_missing_outputs_file_means_no_outputs(tmp_path: Path) -> None:
    assert read_outputs_file(tmp_path / "absent", max_bytes=100, owner_uid=None) == ({}, [])


def test_an_outputs_file_that_is_a_link_is_not_followed(tmp_path: Path) -> None:
    (tmp_path / "private").write_text("stolen=yes\n")
    (tmp_path / "tp_output").symlink_to(tmp_path / "private")

    outputs, notes = read_outputs_file(tmp_path / "tp_output", max_bytes=100, owner_uid=None)

    assert outputs == {}
    assert notes[0].startswith("outputs file ignored")


def test_an_outputs_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "tp_output")

    assert read_outputs_file(tmp_path / "tp_output", max_bytes=100, owner_uid=None) == (
        {},
        ["outputs file ignored: not a regular file"],
    )


def test_an_outputs_file_not_owned_by_the_script_user_is_refused(tmp_path: Path) -> None:
    (tmp_path / "tp_output").write_text("a=1\n")

    outputs, notes = read_outputs_file(tmp_path / "tp_output", max_bytes=100, owner_uid=os.getuid() + 1)

    assert outputs == {}
    assert notes == ["outputs file ignored: not written by the script"]


def test_an_oversized_outputs_file_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "tp_output").write_text("a=" + "x" * 200)

    outputs, notes = read_outputs_file(tmp_path / "tp_output", max_bytes=100, owner_uid=None)

    assert outputs == {}
    assert notes == ["outputs file ignored: larger than 100 bytes"]


def test_every_occurrence_of_every_secret_is_masked() -> None:
    mask = SecretMask({"A": "alpha-key", "B": "beta-key"})

    assert mask.apply("alpha-key and beta-key, alpha-key!") == "*** and ***, ***!"


def test_overlapping_secrets_leave_no_character_of_either() -> None:
    mask = SecretMask({"A": "abcdef", "B": "defghi"})

    assert mask.apply("xabcdefghix") == "x***x"


def test_each_line_of_a_multi_line_secret_and_its_json_form_are_masked() -> None:
    mask = SecretMask({"KEY": "line-one\nline-two"})

    assert mask.apply("line-two") == MASK
    assert mask.apply('{"key": "line-one\\nline-two"}') == '{"key": "***"}'


def test_a_too_short_secret_is_not_masked_and_that_is_noted() -> None:
    mask = SecretMask({"PIN": "ab", "EMPTY": ""})

    assert mask.apply("abc") == "abc"
    assert mask.notes == ["secret PIN is shorter than 3 characters; not masked"]


def test_outputs_are_masked_in_keys_values_and_numbers() -> None:
    mask = SecretMask({"A": "hunter2", "N": "424242"})

    masked = mask.apply_to_outputs({"user": "x hunter2", "hunter2": [424242, 7, True, None], "f": 1.5})

    assert masked == {"user": "x ***", MASK: [MASK, 7, True, None], "f": 1.5}


def test_a_secret_split_across_reads_is_held_back_until_it_is_whole() -> None:
    stream = MaskedStream(SecretMask({"T": "topsecret"}))

    first = stream.feed("value: tops")
    second = stream.feed("ecret done")

    assert first == "value: "
    assert second == "*** done"
    assert stream.finish(cut_short=False) == ""


def test_text_that_only_looked_like_a_secret_is_released_at_the_end() -> None:
    stream = MaskedStream(SecretMask({"T": "topsecret"}))

    assert stream.feed("top") == ""
    assert stream.finish(cut_short=False) == "top"


def test_a_stream_cut_short_inside_a_secret_masks_the_half() -> None:
    stream = MaskedStream(SecretMask({"T": "topsecret"}))

    assert stream.feed("x tops") + stream.finish(cut_short=True) == "x ***"


def _collapse(text: str) -> str:
    while MASK * 2 in text:
        text = text.replace(MASK * 2, MASK)
    return text


@given(
    secrets=st.lists(st.text(alphabet="abc", min_size=3, max_size=6), min_size=1, max_size=3),
    text=st.text(alphabet="abcx", max_size=60),
    cuts=st.lists(st.integers(min_value=0, max_value=60), max_size=8),
)
def test_streaming_masks_exactly_like_masking_the_whole_text(secrets: list[str], text: str, cuts: list[int]) -> None:
    mask = SecretMask({f"S{i}": value for i, value in enumerate(secrets)})
    stream = MaskedStream(mask)
    bounds = [0, *sorted(min(cut, len(text)) for cut in cuts), len(text)]

    streamed = "".join(stream.feed(text[a:b]) for a, b in itertools.pairwise(bounds))
    streamed += stream.finish(cut_short=False)

    assert _collapse(streamed) == _collapse(mask.apply(text))
    for value in secrets:
        assert value not in streamed


async def test_the_log_interleaves_streams_and_stops_at_the_cap_with_a_marker() -> None:
    received: list[tuple[str, str]] = []

    async def listen(stream: str, text: str) -> None:
        received.append((stream, text))

    log = ScriptLog(mask=SecretMask({"T": "topsecret"}), cap_bytes=20, listener=listen)
    await log.receive("stdout", b"hello\n")
    await log.receive("stderr", b"warn\n")
    await log.receive("stdout", b"and topsecret is long")
    await log.receive("stdout", b"more and more")
    await log.close("stdout")

    assert log.truncated
    assert log.text == "hello\nwarn\nand ***\n[output truncated after 20 bytes]\n"
    assert "".join(text for _, text in received) == log.text
    assert received[0] == ("stdout", "hello\n")


async def test_a_multibyte_character_split_across_reads_is_decoded_whole() -> None:
    log = ScriptLog(mask=SecretMask({}), cap_bytes=100, listener=None)
    encoded = "grüße".encode()

    await log.receive("stdout", encoded[:3])
    await log.receive("stdout", encoded[3:])
    await log.close("stdout")

    assert log.text == "grüße"


@pytest.mark.parametrize(
    ("returncode", "shell", "tail", "reason"),
    [
        (0, True, "", "exit code 0"),
        (3, True, "boom", "exit code 3"),
        (-signal.SIGXCPU, True, "", "killed: CPU time limit (SIGXCPU)"),
        (-signal.SIGXFSZ, False, "", "killed: file size limit (SIGXFSZ)"),
        (-signal.SIGKILL, True, "", "killed by signal 9 (likely memory limit)"),
        (-signal.SIGSEGV, True, "", "killed by signal 11 (SIGSEGV)"),
        (153, True, "", "exit code 153 (a command was killed by SIGXFSZ: file size limit)"),
        (1, False, "MemoryError", "exit code 1 (out of memory: limit 256 MiB)"),
        (1, False, "OSError: [Errno 27] File too large", "exit code 1 (file size limit 1 MiB)"),
        (254, True, "fork: retry: Resource temporarily unavailable", "exit code 254 (process limit 64 reached)"),
    ],
)
def test_the_reason_names_the_limit_a_script_hit(returncode: int, shell: bool, tail: str, reason: str) -> None:
    explained = explain_exit(
        returncode, shell=shell, log_tail=tail, memory_bytes=256 << 20, file_size_bytes=1 << 20, max_processes=64
    )

    assert explained == reason
