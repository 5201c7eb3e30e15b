"""What a sandboxed runbook script leaves behind: its masked live log, its TP_OUTPUT file, how it ended.

Every byte a script writes passes through here before a caller, a log line or an output value sees it.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import signal
import stat
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

MASK = "***"
MIN_SECRET_LENGTH = 3
"""Shorter secret values are not masked: masking every "ab" would shred the log and hide nothing."""

_MAX_HELD_CHARS = 64 * 1024
_OUTPUT_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")

OutputListener = Callable[[str, str], Awaitable[None]]
"""Receives (stream name "stdout" | "stderr", masked text) as the script writes it."""


class SecretMask:
    """Replaces every occurrence of every secret value (and of each line of a multi-line one) by ***."""

    def __init__(self, secrets: Mapping[str, str]) -> None:
        needles: set[str] = set()
        self.notes: list[str] = []
        for name, value in secrets.items():
            if 0 < len(value) < MIN_SECRET_LENGTH:
                self.notes.append(f"secret {name} is shorter than {MIN_SECRET_LENGTH} characters; not masked")
            # A script may print the value re-encoded as JSON or one line at a time.
            variants = {value, json.dumps(value)[1:-1], *(line.strip() for line in value.splitlines())}
            needles.update(v for v in variants if len(v) >= MIN_SECRET_LENGTH)
        self._needles = sorted(needles, key=len, reverse=True)

    def covered_runs(self, text: str) -> list[tuple[int, int]]:
        """Maximal [start, end) ranges of text covered by secret occurrences, overlapping ones merged."""
        spans: list[tuple[int, int]] = []
        for needle in self._needles:
            start = text.find(needle)
            while start != -1:
                spans.append((start, start + len(needle)))
                start = text.find(needle, start + 1)
        runs: list[tuple[int, int]] = []
        for start, end in sorted(spans):
            if runs and start <= runs[-1][1]:
                runs[-1] = (runs[-1][0], max(runs[-1][1], end))
            else:
                runs.append((start, end))
        return runs

    def apply(self, text: str) -> str:
        return render_masked(text, self.covered_runs(text))

    def pending_prefix_length(self, text: str) -> int:
        """Length of the longest end of text that the next read could complete into a secret."""
        longest = 0
        for needle in self._needles:
            for size in range(min(len(needle) - 1, len(text)), longest, -1):
                if text.endswith(needle[:size]):
                    longest = size
                    break
        return longest

    def apply_to_outputs(self, value: Any) -> Any:
        """Masks keys and values of a parsed outputs document; a number that spells a secret becomes text."""
        if isinstance(value, dict):
            return {self.apply(str(key)): self.apply_to_outputs(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.apply_to_outputs(item) for item in value]
        if isinstance(value, str):
            return self.apply(value)
        if isinstance(value, int | float) and not isinstance(value, bool):
            masked = self.apply(str(value))
            return value if masked == str(value) else masked
        return value


def render_masked(text: str, runs: list[tuple[int, int]]) -> str:
    parts: list[str] = []
    position = 0
    for start, end in runs:
        parts.extend((text[position:start], MASK))
        position = end
    parts.append(text[position:])
    return "".join(parts)


class MaskedStream:
    """Masks one output stream whose secrets may arrive split across reads.

    Only the end of the text that could still grow into a secret is held back, so live output lags
    by at most one secret's length and a secret is never released half-masked.
    """

    def __init__(self, mask: SecretMask) -> None:
        self._mask = mask
        self._held = ""

    def feed(self, text: str) -> str:
        buffer = self._held + text
        cut = len(buffer) - self._mask.pending_prefix_length(buffer)
        runs = self._mask.covered_runs(buffer)
        for start, end in runs:
            if start < cut < end:
                cut = start  # hold the whole run: a later read may extend it
                break
        if len(buffer) - cut > _MAX_HELD_CHARS:
            cut = len(buffer)  # a pathological endless run of secrets; release it masked
        self._held = buffer[cut:]
        return render_masked(buffer[:cut], [run for run in runs if run[1] <= cut])

    def finish(self, *, cut_short: bool) -> str:
        """Releases the held text; when the stream was cut short its end may be half a secret: mask it."""
        text = self.feed("")
        held, self._held = self._held, ""
        if held:
            text += MASK if cut_short else self._mask.apply(held)
        return text


class ScriptLog:
    """One capped, masked log of both streams of a script, also streamed live to a listener.

    Past the cap the caller keeps reading (so the script never blocks on a full pipe) and the bytes
    are dropped here.
    """

    def __init__(self, *, mask: SecretMask, cap_bytes: int, listener: OutputListener | None) -> None:
        self._streams = {
            name: (codecs.getincrementaldecoder("utf-8")(errors="replace"), MaskedStream(mask))
            for name in ("stdout", "stderr")
        }
        self._cap_bytes = cap_bytes
        self._kept_bytes = 0
        self._parts: list[str] = []
        self._listener = listener
        self.truncated = False
        self.notes: list[str] = []

    @property
    def text(self) -> str:
        return "".join(self._parts)

    async def receive(self, stream: str, chunk: bytes) -> None:
        if self.truncated:
            return
        room = self._cap_bytes - self._kept_bytes
        if len(chunk) > room:
            chunk, self.truncated = chunk[:room], True
        self._kept_bytes += len(chunk)
        decoder, masked = self._streams[stream]
        text = masked.feed(decoder.decode(chunk))
        if not self.truncated:
            await self._publish(stream, text)
            return
        await self._publish(stream, text + masked.finish(cut_short=True))
        for other, (_, other_masked) in self._streams.items():
            if other != stream:
                await self._publish(other, other_masked.finish(cut_short=True))
        await self._publish(stream, f"\n[output truncated after {self._cap_bytes} bytes]\n")

    async def close(self, stream: str) -> None:
        """The stream reached its end: release what was held for it."""
        if self.truncated:
            return
        decoder, masked = self._streams[stream]
        await self._publish(stream, masked.feed(decoder.decode(b"", final=True)) + masked.finish(cut_short=False))

    async def _publish(self, stream: str, text: str) -> None:
        if not text:
            return
        self._parts.append(text)
        if self._listener is None:
            return
        try:
            await self._listener(stream, text)
        except Exception as error:  # a broken live view must not break the action; the log is kept
            self._listener = None
            self.notes.append(f"live log streaming stopped: {error!r}")


def read_outputs_file(path: Path, *, max_bytes: int, owner_uid: int | None) -> tuple[dict[str, Any], list[str]]:
    """Reads $TP_OUTPUT without following links the script may have planted (it may point at /etc/shadow)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return {}, []
    except OSError as error:
        return {}, [f"outputs file ignored: {error.strerror}"]
    with os.fdopen(descriptor, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            return {}, ["outputs file ignored: not a regular file"]
        if owner_uid is not None and info.st_uid != owner_uid:
            return {}, ["outputs file ignored: not written by the script"]
        raw = file.read(max_bytes + 1)
    if len(raw) > max_bytes:
        return {}, [f"outputs file ignored: larger than {max_bytes} bytes"]
    return parse_outputs(raw.decode("utf-8", errors="replace"))


def parse_outputs(text: str) -> tuple[dict[str, Any], list[str]]:
    """Parses one JSON object, or `key=value` lines (blank lines and # comments skipped; last key wins)."""
    if not text.strip():
        return {}, []
    if text.lstrip().startswith("{"):
        return _parse_json_outputs(text)
    outputs: dict[str, Any] = {}
    notes: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, separator, value = line.partition("=")
        if not separator or not _OUTPUT_KEY.fullmatch(key.strip()):
            notes.append(f"outputs line {number} ignored: expected key=value")
            continue
        outputs[key.strip()] = value
    return outputs, notes


def _parse_json_outputs(text: str) -> tuple[dict[str, Any], list[str]]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        return {}, [f"outputs file ignored: invalid JSON ({error.msg} at line {error.lineno})"]
    if not isinstance(document, dict):
        return {}, ["outputs file ignored: JSON outputs must be an object"]
    return document, []


_LIMIT_SIGNALS = {
    signal.SIGXCPU: "CPU time limit",
    signal.SIGXFSZ: "file size limit",
    signal.SIGKILL: "likely memory limit",
}


def explain_exit(
    returncode: int, *, shell: bool, log_tail: str, memory_bytes: int, file_size_bytes: int, max_processes: int
) -> str:
    """Human reason for how a script ended on its own (negative returncode: killed by that signal)."""
    if returncode < 0:
        number = -returncode
        if number in (signal.SIGXCPU, signal.SIGXFSZ):
            return f"killed: {_LIMIT_SIGNALS[signal.Signals(number)]} ({signal.Signals(number).name})"
        if number == signal.SIGKILL:
            return "killed by signal 9 (likely memory limit)"
        return f"killed by signal {number} ({_signal_name(number)})"
    hint: str | None = None
    # A failing script's last words often name the limit it hit.
    if returncode == 0:
        hint = None
    elif shell and returncode > 128 and (returncode - 128) in _LIMIT_SIGNALS:
        number = signal.Signals(returncode - 128)
        hint = f"a command was killed by {number.name}: {_LIMIT_SIGNALS[number]}"
    elif "MemoryError" in log_tail or "Cannot allocate memory" in log_tail:
        hint = f"out of memory: limit {_size(memory_bytes)}"
    elif "File too large" in log_tail:
        hint = f"file size limit {_size(file_size_bytes)}"
    elif "fork: " in log_tail and "Resource temporarily unavailable" in log_tail:
        hint = f"process limit {max_processes} reached"
    return f"exit code {returncode} ({hint})" if hint else f"exit code {returncode}"


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return "unknown"


def _size(value: int) -> str:
    return f"{value / (1 << 20):g} MiB"
