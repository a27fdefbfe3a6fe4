"""The runner inside every Python worker: Docs/RunnerProtocol.md, spoken from Python.

The engine starts `python -I -u isolated_runner.py` in a Python environment, with the channel
as descriptor 3; the runner's own packages (the serializer, `isolate` for `@cached`) are in
`packages/` beside this file, searched after the environment's. Each `invoke` carries a callable serialized by the caller's client, with its
arguments already bound (fal-serverless sends a dill pickle): `method`, `definition`, and
optionally the `method` and `definition` of a setup function, whose result is computed once per
process and passed as the first argument. The result goes back serialized with the same method;
an exception the callable raises goes back as a `raised` frame, with its traceback and the
exception serialized, so the caller's client raises it again.

Standard library only: the serializer (dill) comes from the runner's own layer on `sys.path`.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import os
import queue
import socket
import struct
import sys
import threading
import traceback
from typing import Any, Callable, Dict, List, NoReturn, Optional, Tuple

READY, INVOKE, RETURNED, THREW, PING, PONG, STOP, RAISED, CALLING, ATTACH = 1, 2, 3, 4, 5, 6, 7, 12, 13, 14
STAGE_ARGUMENTS, STAGE_RESULT = 1, 2
MARKER_PREFIX = b"\x01isolated-end-of-call "


class Channel:
    """Frames over the engine's socket: a little-endian u32 length counting the kind byte, the kind, the payload."""

    def __init__(self, connection: socket.socket) -> None:
        self.socket = connection
        self.lock = threading.Lock()

    def send(self, kind: int, *parts: bytes) -> None:
        """One frame whose payload is `parts` in order; a large part is sent from its own buffer, not joined."""
        size = sum(len(part) for part in parts)
        header = struct.pack("<IB", size + 1, kind)
        with self.lock:
            try:
                if size < 65536:
                    self.socket.sendall(b"".join((header, *parts)))
                else:
                    for part in (header, *parts):
                        self.socket.sendall(part)
            except OSError:
                os._exit(0)  # The engine is gone.

    def receive(self) -> Tuple[int, bytes]:
        length, kind = struct.unpack("<IB", self._exactly(5))
        if length < 1 or length > 1 << 31:
            fail(f"invalid frame length {length}")
        return kind, self._exactly(length - 1)

    def _exactly(self, count: int) -> bytes:
        chunks: List[bytes] = []
        while count > 0:
            try:
                chunk = self.socket.recv(min(count, 1 << 20))
            except OSError:
                chunk = b""
            if not chunk:
                os._exit(0)  # End of file: the engine stopped or died.
            chunks.append(chunk)
            count -= len(chunk)
        return b"".join(chunks)


def fail(reason: str) -> NoReturn:
    sys.stderr.write(f"isolated runner: {reason}\n")
    sys.stderr.flush()
    os._exit(3)


def encoded(text: str) -> bytes:
    data = text.encode("utf-8", "replace")
    return struct.pack("<I", len(data)) + data


def parse_invoke(payload: bytes) -> Tuple[int, List[bytes]]:
    if len(payload) < 12:
        fail("truncated invoke frame")
    call_id, count = struct.unpack_from("<QI", payload)
    offset, arguments = 12, []
    for _ in range(count):
        if offset + 4 > len(payload):
            fail("truncated invoke frame")
        (size,) = struct.unpack_from("<I", payload, offset)
        offset += 4
        if offset + size > len(payload):
            fail("truncated invoke frame")
        arguments.append(payload[offset : offset + size])
        offset += size
    if offset != len(payload):
        fail("trailing bytes in invoke frame")
    return call_id, arguments


class Runner:
    def __init__(self, channel: Channel, markers: bool) -> None:
        self.channel = channel
        # An engine on this machine reads the pipes empty when the reply arrives; one on another
        # reads them from the scheduler's copy, which may lag behind the reply, so it needs markers.
        self.markers = markers
        self.invocations: "queue.Queue[Optional[Tuple[int, List[bytes]]]]" = queue.Queue()
        self.setup_results: Dict[str, Any] = {}

    def read_channel(self) -> None:
        """The I/O thread: answers pings while the function runs, hands invocations to the main thread."""
        while True:
            kind, payload = self.channel.receive()
            if kind == INVOKE:
                self.invocations.put(parse_invoke(payload))
            elif kind == PING:
                if len(payload) != 8:
                    fail("malformed ping frame")
                self.channel.send(PONG, payload)
            elif kind == STOP:
                self.invocations.put(None)
                return
            else:
                fail(f"unexpected frame kind {kind} from the engine")

    def serve(self) -> None:
        self.channel.send(READY, struct.pack("<I", os.getpid() & 0xFFFFFFFF))
        threading.Thread(target=self.read_channel, name="isolated-channel", daemon=True).start()
        while True:
            invocation = self.invocations.get()
            if invocation is None:
                return
            call_id, arguments = invocation
            kind, payload = self.run(call_id, arguments)
            sys.stdout.flush()
            sys.stderr.flush()
            if self.markers:
                marker = MARKER_PREFIX + str(call_id).encode() + b"\n"
                os.write(1, marker)
                os.write(2, marker)
            call = struct.pack("<Q", call_id)
            # A result is followed by its call's id, so the engine takes it over without moving it.
            self.channel.send(kind, *((payload, call) if kind == RETURNED else (call, payload)))

    def run(self, call_id: int, arguments: List[bytes]) -> Tuple[int, bytes]:
        """One call: the reply's kind and its payload after the id."""
        if len(arguments) not in (2, 4):
            return threw(STAGE_ARGUMENTS, "ArgumentCountMismatch", f"a Python call sends 2 or 4 arguments, not {len(arguments)}")
        method = arguments[0].decode()
        try:
            function = load(method, arguments[1], "function")
            bound: List[Any] = []
            if len(arguments) == 4:
                bound.append(self.setup_result(arguments[2].decode(), arguments[3]))
        except DeserializationError as error:
            return threw(STAGE_ARGUMENTS, "DeserializationError", str(error))
        except BaseException as error:  # The setup function raised.
            return raised(method, error)
        name, file, line = describe(function)
        self.channel.send(CALLING, struct.pack("<Q", call_id) + encoded(name) + encoded(file) + struct.pack("<I", line))
        try:
            result = function(*bound)
        except BaseException as error:
            return raised(method, error)
        try:
            return RETURNED, importlib.import_module(method).dumps(result)
        except BaseException:
            traceback.print_exc()
            return threw(STAGE_RESULT, "SerializationError", f"Error while serializing the execution result (object of type {type(result)}).")

    def setup_result(self, method: str, definition: bytes) -> Any:
        """The setup function's result, computed once per process, like isolate's agent does."""
        key = hashlib.sha256(definition + method.encode()).hexdigest()
        if key not in self.setup_results:
            self.setup_results[key] = load(method, definition, "setup")()
        return self.setup_results[key]


def describe(function: Callable[..., Any]) -> Tuple[str, str, int]:
    """The user's function inside what the client sent (wrapped to bind its arguments): its name, file and first line."""
    for _ in range(100):
        if isinstance(function, functools.partial):
            function = function.func
        elif callable(getattr(function, "__wrapped__", None)):
            function = function.__wrapped__
        else:
            break
    name = getattr(function, "__qualname__", None) or getattr(function, "__name__", None) or type(function).__name__
    code = getattr(function, "__code__", None)
    if code is None:
        return str(name), "(sent by the client)", 0
    return str(name), code.co_filename, max(0, code.co_firstlineno)


class DeserializationError(Exception):
    pass


def load(method: str, definition: bytes, kind: str) -> Callable[..., Any]:
    try:
        loaded = importlib.import_module(method).loads(definition)
    except BaseException:
        traceback.print_exc()
        raise DeserializationError(f"The {kind} function could not be deserialized.") from None
    if not callable(loaded):
        raise DeserializationError(f"The {kind} function must be callable, not {type(loaded).__name__}.")
    return loaded


def threw(stage: int, type_name: str, message: str) -> Tuple[int, bytes]:
    return THREW, struct.pack("<B", stage) + encoded(type_name) + encoded(message)


def raised(method: str, error: BaseException) -> Tuple[int, bytes]:
    """The exception with its traceback (the runner's own frame left out) and serialized, for the caller to raise again."""
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__.tb_next if error.__traceback__ else None))
    try:
        serialized = importlib.import_module(method).dumps(error)
    except BaseException:
        traceback.print_exc()
        return threw(STAGE_RESULT, "SerializationError", f"Error while serializing the raised exception (object of type {type(error)}).")
    return RAISED, encoded(type(error).__name__) + encoded(str(error)) + encoded(text) + serialized


def connect() -> socket.socket:
    """The engine's socket: inherited as ISOLATED_RUNNER_FD, or, for a runner a cluster's scheduler started
    on another machine, a TCP connection to ISOLATED_RUNNER_CONNECT attached with the launch's one-time token."""
    descriptor = os.environ.get("ISOLATED_RUNNER_FD", "")
    if descriptor.isdigit():
        os.set_inheritable(int(descriptor), False)
        return socket.socket(socket.AF_UNIX, socket.SOCK_STREAM, fileno=int(descriptor))
    address, token = os.environ.get("ISOLATED_RUNNER_CONNECT", ""), os.environ.get("ISOLATED_RUNNER_TOKEN", "")
    if not address or not token:
        fail("neither ISOLATED_RUNNER_FD nor ISOLATED_RUNNER_CONNECT is set; this program is started by the Isolated engine")
    host, _, port = address.rpartition(":")
    try:
        connection = socket.create_connection((host.strip("[]"), int(port)))
    except (OSError, ValueError) as error:
        fail(f"cannot reach the engine at {address}: {error}")
    connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    node = os.environ.get("SLURMD_NODENAME") or socket.gethostname()
    payload = encoded(token) + encoded(node) + encoded(os.environ.get("SLURM_JOB_ID", ""))
    connection.sendall(struct.pack("<IB", len(payload) + 1, ATTACH) + payload)
    # What the cluster's scheduler added goes, but the job, its node and its GPUs: the function sees
    # what a local runner's function sees.
    kept = set(filter(None, os.environ.get("ISOLATED_RUNNER_VARIABLES", "").split(",")))
    kept |= {"SLURM_JOB_ID", "SLURMD_NODENAME", "CUDA_VISIBLE_DEVICES"}
    kept.discard("ISOLATED_RUNNER_TOKEN")
    for name in [name for name in os.environ if name not in kept]:
        del os.environ[name]
    return connection


def main() -> None:
    connection = connect()
    sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "packages"))
    Runner(Channel(connection), markers=connection.family != socket.AF_UNIX).serve()


if __name__ == "__main__":
    main()
