#!/usr/bin/env python3
"""Benchmark of fal's `isolate` (PyPI isolate==0.26.12) on the scenarios of
Isolated's benchmark, for a side-by-side table.

    python3 Benchmarks/isolate/bench.py [--quick] [--json] [--venv DIR] [--work DIR]

Standard library only at top level: the script creates (if missing) a
throwaway virtualenv with isolate in it and re-executes itself with that
virtualenv's python. With --json, stdout carries one JSON document and nothing
else; progress goes to stderr. See README.md beside this file.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ISOLATE_VERSION = "0.26.12"
ISOLATE_REQUIREMENT = f"isolate[build]=={ISOLATE_VERSION}"  # [build] = virtualenv
SIX = "six==1.17.0"
TOML = "toml==0.10.2"

SCRIPT_DIR = Path(__file__).resolve().parent
REPO_ROOT = SCRIPT_DIR.parent.parent

SCENARIO_IDS = [
    "warm_embedded",
    "warm_server",
    "new_runner",
    "cold_environment",
    "shared_environment",
    "new_version",
    "result_10mib",
    "result_100mib",
    "throughput_32",
    "idle_runner_rss_mb",
    "idle_engine_rss_mb",
]

# (full, quick)
COUNTS = {
    "warm_embedded": (2000, 100),
    "warm_server": (200, 20),
    "new_runner": (30, 5),
    "new_runner_variant": (10, 3),
    "cold": (3, 1),
    "result_10mib": (10, 3),
    "result_100mib": (5, 1),
    "result_ipc_10mib": (3, 1),
    "result_ipc_100mib": (2, 1),
    "throughput_seconds": (10.0, 2.0),
}

# Whole-run limit: past it the script kills what it started and prints what it has.
TIME_LIMIT_SECONDS = {False: 30 * 60, True: 8 * 60}


def log(message: str) -> None:
    print(f"[isolate-bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few samples, short throughput run")
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    parser.add_argument(
        "--venv",
        default=str(REPO_ROOT / ".build" / "isolate-venv"),
        help="virtualenv with isolate in it (created if missing; default: <repo>/.build/isolate-venv)",
    )
    parser.add_argument(
        "--work",
        default=str(REPO_ROOT / ".build" / "isolate-work"),
        help="where isolate's environments, caches and logs go (default: <repo>/.build/isolate-work)",
    )
    return parser.parse_args()


# --------------------------------------------------------------------------
# Outer half: make the virtualenv, then re-execute inside it.
# --------------------------------------------------------------------------


def inner_environment(work: Path) -> dict[str, str]:
    """The environment the benchmark runs in: every cache isolate, virtualenv
    and pip use points under `work`, and nothing inherited changes isolate's
    defaults."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("ISOLATE_")
        and key not in ("MAX_THREADS", "AGENT_REQUIREMENTS_TXT", "PIP_NO_CACHE_DIR", "VIRTUAL_ENV")
    }
    env.update(
        # isolate's default cache dir is platformdirs' user_cache_dir("isolate"),
        # i.e. $XDG_CACHE_HOME/isolate; the server subprocess has no other knob.
        XDG_CACHE_HOME=str(work / "xdg-cache"),
        XDG_DATA_HOME=str(work / "xdg-data"),
        VIRTUALENV_OVERRIDE_APP_DATA=str(work / "virtualenv-app-data"),
        PIP_CACHE_DIR=str(work / "pip-cache"),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_INPUT="1",
        # isolate keeps its lock files under the temp dir.
        TMPDIR=str(work / "tmp"),
        PYTHONPATH=os.pathsep.join(
            [str(SCRIPT_DIR)] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])
        ),
    )
    return env


def ensure_venv(venv: Path, env: dict[str, str]) -> Path:
    python = venv / "bin" / "python"
    if python.exists():
        check = subprocess.run(
            [str(python), "-c", "import isolate, virtualenv, grpc; print(isolate.__version__)"],
            capture_output=True,
            text=True,
            env=env,
        )
        if check.returncode == 0 and check.stdout.strip() == ISOLATE_VERSION:
            return python
        log(f"{venv} exists but has no usable isolate {ISOLATE_VERSION}; installing it")
    else:
        log(f"creating the virtualenv {venv}")
        venv.parent.mkdir(parents=True, exist_ok=True)
        made = subprocess.run([sys.executable, "-m", "venv", str(venv)], stdout=sys.stderr, env=env)
        if made.returncode != 0 or not python.exists():
            sys.exit(
                f"could not create a virtualenv with {sys.executable} -m venv "
                "(on Debian: apt-get install -y python3-venv)"
            )
    log(f"pip install {ISOLATE_REQUIREMENT}")
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", ISOLATE_REQUIREMENT],
        stdout=sys.stderr,
        env=env,
    )
    if installed.returncode != 0:
        sys.exit(f"pip install {ISOLATE_REQUIREMENT} failed")
    return python


def outer_main(args: argparse.Namespace) -> None:
    venv = Path(args.venv).absolute()
    work = Path(args.work).absolute()
    for sub in ("tmp", "pip-cache", "xdg-cache", "xdg-data"):
        (work / sub).mkdir(parents=True, exist_ok=True)
    env = inner_environment(work)
    python = ensure_venv(venv, env)
    env["ISOLATE_BENCH_INNER"] = str(venv)
    argv = [str(python), str(Path(__file__).resolve())] + sys.argv[1:]
    sys.stderr.flush()
    sys.stdout.flush()
    os.execve(str(python), argv, env)


# --------------------------------------------------------------------------
# Measuring helpers (standard library).
# --------------------------------------------------------------------------


def ms(seconds: float) -> float:
    return round(seconds * 1000.0, 3)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def summary(seconds: list[float], *, p99: bool = True) -> dict:
    out = {"median_ms": ms(statistics.median(seconds))}
    if p99:
        out["p99_ms"] = ms(percentile(seconds, 0.99))
    out["samples"] = len(seconds)
    return out


def timed(fn, count: int, check=None) -> list[float]:
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - start)
        if check is not None:
            check(result)
    return samples


def _proc_table(include_zombies: bool = True) -> dict[int, int]:
    """pid -> ppid for every process."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stream:
                stat = stream.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if fields[0] == "Z" and not include_zombies:
            continue
        table[int(entry)] = int(fields[1])
    return table


def descendants(pid: int, *, include_zombies: bool = True) -> list[int]:
    table = _proc_table(include_zombies)
    children: dict[int, list[int]] = {}
    for child, parent in table.items():
        children.setdefault(parent, []).append(child)
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as stream:
        for line in stream:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def mb(value: int) -> float:
    return round(value / 1e6, 1)


def kill_descendants() -> None:
    """Last resort: SIGKILL every process below this one, then reap the
    direct children (PythonIPC never waits for its finished agents, so they
    stay zombies until reaped)."""
    for pid in reversed(descendants(os.getpid(), include_zombies=False)):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for pid in descendants(os.getpid()):
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------
# Inner half: runs inside the virtualenv, with isolate importable.
# --------------------------------------------------------------------------

# isolate.server.server.main() (the `python -m isolate.server.server` entry
# point) binds "[::]:PORT" whatever --host says; this launcher only rewrites
# that address to 127.0.0.1 so the unauthenticated server is not reachable
# from the network. Everything else is isolate's own server code.
SERVER_LAUNCHER = """
import sys, grpc
import isolate.server.server as server
_grpc_server = grpc.server
def _loopback_server(*args, **kwargs):
    instance = _grpc_server(*args, **kwargs)
    add_insecure_port = instance.add_insecure_port
    instance.add_insecure_port = lambda address: add_insecure_port(address.replace("[::]", "127.0.0.1", 1))
    return instance
server.grpc.server = _loopback_server
server.main(sys.argv[1:])
"""


class Bench:
    def __init__(self, args: argparse.Namespace, json_out) -> None:
        self.args = args
        self.quick = args.quick
        self.work = Path(args.work).absolute()
        self.json_out = json_out
        self.started = time.monotonic()
        self.results: dict[str, dict] = {}
        self.info: dict = {}
        self.servers: list = []
        self.agents: list = []
        self._emitted = False
        self._emit_lock = threading.Lock()

    def n(self, key: str):
        full, quick = COUNTS[key]
        return quick if self.quick else full

    # ---------------- isolate plumbing ----------------

    def setup(self) -> None:
        import site

        import isolate
        from platformdirs import user_cache_dir

        # Agents that inherit this virtualenv's site-packages (the gRPC agent
        # needs isolate and grpc from here) find isolate_bench_funcs through
        # this .pth file; agents of plain virtualenvs through PYTHONPATH.
        pth = Path(site.getsitepackages()[0]) / "isolate_bench_funcs.pth"
        if not pth.exists() or pth.read_text().strip() != str(SCRIPT_DIR):
            pth.write_text(str(SCRIPT_DIR) + "\n")

        from isolate.backends.settings import IsolateSettings
        from isolate.backends.virtualenv import VirtualPythonEnvironment

        self.isolate_version = isolate.__version__
        self.cache_dir = Path(user_cache_dir("isolate", "isolate"))
        if not str(self.cache_dir).startswith(str(self.work)):
            raise RuntimeError(f"isolate's cache dir {self.cache_dir} is not under {self.work}")
        # log_hook: isolate prints every agent/builder log line by default.
        self.settings = IsolateSettings(cache_dir=self.cache_dir, log_hook=lambda _log: None)
        self.base_env = VirtualPythonEnvironment.from_config({}, settings=self.settings)
        start = time.perf_counter()
        self.base_path = self.base_env.create()
        self.info["base_environment"] = {
            "path": str(self.base_path),
            "create_ms": ms(time.perf_counter() - start),
            "note": "virtualenv with no requirements (0 ms-ish when it was already cached)",
        }
        from importlib.metadata import version

        self.info["deps"] = {name: version(name) for name in ("grpcio", "protobuf", "virtualenv", "tblib")}
        log(f"isolate {self.isolate_version}; base environment at {self.base_path}")

    def func(self, name: str, *args):
        import functools

        import isolate_bench_funcs

        fn = getattr(isolate_bench_funcs, name)
        return functools.partial(fn, *args) if args else fn

    def warm_agent(self):
        agent = WarmAgent(self)
        self.agents.append(agent)
        return agent

    def close_agent(self, agent) -> None:
        agent.close()
        if agent in self.agents:
            self.agents.remove(agent)

    def start_server(self, name: str, *, workers: int | None = None, extra_env: dict | None = None):
        server = ServerProcess(self, name, workers=workers, extra_env=extra_env or {})
        self.servers.append(server)
        server.wait_ready()
        return server

    def stop_server(self, server) -> None:
        server.stop()
        if server in self.servers:
            self.servers.remove(server)

    def server_connection(self, server, *, unlimited_receive: bool = False):
        """isolate's own client for isolate.server: the 'isolate-server'
        backend (IsolateServer / IsolateServerConnection)."""
        import grpc
        from isolate import prepare_environment

        environment = prepare_environment(
            "isolate-server",
            host=server.address,
            target_environments=[{"kind": "virtualenv", "configuration": {"requirements": []}}],
            context=self.settings,
        )
        connection = environment.open_connection(environment.create())
        if unlimited_receive:
            # IsolateServerConnection opens grpc.insecure_channel(host) with no
            # options; this is the only way to raise its 4 MiB receive limit.
            connection._channel = grpc.insecure_channel(
                server.address, options=[("grpc.max_receive_message_length", -1)]
            )
        return connection

    # ---------------- lifecycle ----------------

    def cleanup(self) -> None:
        for agent in list(self.agents):
            try:
                agent.close()
            except BaseException:
                pass
        self.agents.clear()
        for server in list(self.servers):
            try:
                server.stop()
            except BaseException:
                pass
        self.servers.clear()
        kill_descendants()

    def document(self, status: str | None = None) -> dict:
        scenarios = {}
        for sid in SCENARIO_IDS:
            scenarios[sid] = self.results.get(sid) or {"error": status or "not run"}
        doc = {
            "system": "isolate",
            "version": getattr(self, "isolate_version", None),
            "python": ".".join(map(str, sys.version_info[:3])),
            "quick": self.quick,
            "cpus": os.cpu_count(),
            "total_seconds": round(time.monotonic() - self.started, 1),
        }
        if status:
            doc["status"] = status
        doc["info"] = self.info
        doc["scenarios"] = scenarios
        return doc

    def emit(self, status: str | None = None) -> None:
        with self._emit_lock:
            if self._emitted:
                return
            self._emitted = True
            doc = self.document(status)
            if self.args.json:
                text = json.dumps(doc, indent=1) + "\n"
            else:
                text = render_table(doc)
            self.json_out.write(text)
            self.json_out.flush()

    # ---------------- scenarios ----------------

    def scenario(self, sid: str, how: str):
        """Context manager: results[sid] gets `how`, and `error` if the block raises."""
        bench = self

        class _Scenario:
            def __enter__(self_inner):
                log(f"{sid} ...")
                self_inner.result = {"how": how}
                bench.results[sid] = self_inner.result
                self_inner.started = time.monotonic()
                return self_inner.result

            def __exit__(self_inner, kind, exc, tb):
                if isinstance(exc, KeyboardInterrupt):
                    self_inner.result.setdefault("error", "interrupted")
                    return False
                if exc is not None and isinstance(exc, Exception):
                    self_inner.result["error"] = describe_error(exc)
                    log(f"{sid} failed: {self_inner.result['error']}")
                    return True  # swallow: the other scenarios still run
                log(f"{sid} done in {time.monotonic() - self_inner.started:.1f} s: {short(self_inner.result)}")
                return False

        return _Scenario()

    def variant(self, result: dict, name: str, fn) -> None:
        """Run an extra measurement into result['variants'][name]; its failure is recorded there."""
        variants = result.setdefault("variants", {})
        try:
            variants[name] = fn()
        except Exception as exc:  # noqa: BLE001
            variants[name] = {"error": describe_error(exc)}
            log(f"  variant {name} failed: {variants[name]['error']}")

    def run(self) -> None:
        self.setup()
        agent = self.phase_embedded()
        self.phase_results(agent)
        self.phase_new_runner()
        self.phase_server()
        self.phase_throughput()
        self.phase_cold()
        self.results["new_version"] = {
            "not_applicable": "isolate ships functions pickled; a new version costs nothing beyond a warm call",
            "how": "not measured: a changed function is just a different pickle sent on the next Run; "
            "there is no build or compile step per function version",
        }

    # -- warm_embedded, idle_runner_rss_mb
    def phase_embedded(self):
        n = self.n("warm_embedded")
        agent = None
        with self.scenario(
            "warm_embedded",
            "isolate's long-lived gRPC agent, embedded (no server): LocalPythonGRPC over a virtualenv with no "
            "requirements (agent inherits the benchmark venv for isolate/grpc), one agent kept open with "
            "LocalPythonGRPC._establish_bridge() (the mechanism isolate.server's BridgeManager uses to reuse "
            "agents), then one Agent.Run RPC per call carrying isolate_bench_funcs.two pickled by reference "
            "(stdlib pickle, isolate's default), result unpickled with isolate's from_grpc. "
            f"Median/p99 of {n} calls after {20 if self.quick else 100} warm-up calls. isolate's public "
            "connection.run() never reuses an agent (it spawns one per call: see new_runner).",
        ) as res:
            agent = self.warm_agent()
            two = self.func("two")
            timed(lambda: agent.run(two), 20 if self.quick else 100)
            res.update(summary(timed(lambda: agent.run(two), n, check=expect(2))))

        with self.scenario(
            "idle_runner_rss_mb",
            "VmRSS (MB = 10^6 bytes) of the warm_embedded gRPC agent process plus its descendants (it has none), "
            "read from /proc/PID/status after the warm calls and 1 s idle.",
        ) as res:
            if agent is None:
                raise RuntimeError("no warm agent (warm_embedded failed)")
            time.sleep(1.0)
            pids = [agent.pid] + descendants(agent.pid)
            res["value"] = mb(sum(rss_bytes(pid) for pid in pids))
            res["processes"] = len(pids)
        return agent

    # -- result_10mib / result_100mib (embedded + python-ipc parts)
    def phase_results(self, agent) -> None:
        sizes = {"result_10mib": 10 << 20, "result_100mib": 100 << 20}
        for sid, size in sizes.items():
            n = self.n(sid)
            with self.scenario(
                sid,
                f"warm call on the warm_embedded agent (gRPC, isolate defaults) of isolate_bench_funcs.payload({size}) "
                f"returning b'x' * {size} (bytes); the result comes back pickled inside one protobuf message. "
                "With isolate's defaults it fails on gRPC's 4 MiB receive limit, so 'error' holds that exact "
                "message; 'raised_limit' is the same call on a new agent with "
                "ISOLATE_GRPC_CALL_MAX_RECEIVE_MESSAGE_LENGTH=-1 (isolate turns ISOLATE_GRPC_CALL_* variables into "
                f"gRPC channel/server options), median of {n} after 1 warm-up. 'variants.server*' go through "
                "isolate.server, 'variants.python_ipc_new_process' through connection.run() of the default "
                "PythonIPC connection (new process per call, multiprocessing pipe, no size limit).",
            ) as res:
                fn = self.func("payload", size)
                if agent is None:
                    res["error"] = "no warm agent (warm_embedded failed)"
                else:
                    try:
                        value = agent.run(fn)
                        if len(value) != size:
                            raise RuntimeError(f"got {len(value)} bytes")
                        res.update(summary(timed(lambda: agent.run(fn), n, check=expect_len(size)), p99=False))
                    except Exception as exc:  # noqa: BLE001 — the default-limit failure is the result
                        res["error"] = describe_error(exc)
                        log(f"  {sid} with defaults: {res['error']}")

        if agent is not None:
            self.close_agent(agent)

        # Raised limit on the embedded agent path.
        os.environ["ISOLATE_GRPC_CALL_MAX_RECEIVE_MESSAGE_LENGTH"] = "-1"
        raised = None
        try:
            raised = self.warm_agent()
            for sid, size in sizes.items():
                res = self.results[sid]
                fn = self.func("payload", size)

                def measure(fn=fn, size=size, sid=sid):
                    timed(lambda: raised.run(fn), 1, check=expect_len(size))
                    out = summary(timed(lambda: raised.run(fn), self.n(sid), check=expect_len(size)), p99=False)
                    out["setting"] = "ISOLATE_GRPC_CALL_MAX_RECEIVE_MESSAGE_LENGTH=-1"
                    return out

                if "error" in res:
                    try:
                        res["raised_limit"] = measure()
                    except Exception as exc:  # noqa: BLE001
                        res["raised_limit"] = {"error": describe_error(exc)}
                    log(f"  {sid} raised limit: {short(res['raised_limit'])}")
        except Exception as exc:  # noqa: BLE001
            for sid in sizes:
                self.results[sid].setdefault("raised_limit", {"error": describe_error(exc)})
        finally:
            del os.environ["ISOLATE_GRPC_CALL_MAX_RECEIVE_MESSAGE_LENGTH"]
            if raised is not None:
                self.close_agent(raised)

        # PythonIPC (the default connection of a virtualenv): no gRPC, no limit, new process each call.
        with self.base_env.connect() as connection:
            for sid, size in sizes.items():
                fn = self.func("payload", size)
                count = self.n("result_ipc_10mib" if size == 10 << 20 else "result_ipc_100mib")
                self.variant(
                    self.results[sid],
                    "python_ipc_new_process",
                    lambda fn=fn, size=size, count=count: summary(
                        timed(lambda: connection.run(fn), count, check=expect_len(size)), p99=False
                    ),
                )

    # -- new_runner
    def phase_new_runner(self) -> None:
        n = self.n("new_runner")
        nv = self.n("new_runner_variant")
        with self.scenario(
            "new_runner",
            "first call on a new agent over the already-built virtualenv (no requirements): "
            "`with env.connect() as c: c.run(isolate_bench_funcs.two)` — isolate's public API; a virtualenv's "
            "default connection (PythonIPC) spawns a new agent process for every run() and the agent exits "
            "after one call, so every run() is a new runner. Timed around run() (spawn, connect, call, result, "
            "teardown). About 250 ms of it is PythonIPC's result poll (it sleeps 0.25 s whenever the result is "
            f"not there yet on the first poll). Median of {n} after 1 warm-up. Variants ({nv} samples): "
            "LocalPythonGRPC.run() (new gRPC agent per call; ~1 s of it is gRPC's initial 1 s reconnect "
            "backoff, because the client dials before the agent listens), and the same with "
            "ISOLATE_GRPC_CALL_INITIAL/MIN/MAX_RECONNECT_BACKOFF_MS=50/50/100.",
        ) as res:
            two = self.func("two")
            with self.base_env.connect() as connection:
                timed(lambda: connection.run(two), 1, check=expect(2))
                res.update(summary(timed(lambda: connection.run(two), n, check=expect(2)), p99=False))

            from isolate.connections.grpc import LocalPythonGRPC

            grpc_connection = LocalPythonGRPC(
                self.base_env, self.base_path, extra_inheritance_paths=[Path(sys.prefix)]
            )
            self.variant(
                res,
                "grpc_agent",
                lambda: summary(timed(lambda: grpc_connection.run(two), nv, check=expect(2)), p99=False),
            )
            tuned = {
                "ISOLATE_GRPC_CALL_INITIAL_RECONNECT_BACKOFF_MS": "50",
                "ISOLATE_GRPC_CALL_MIN_RECONNECT_BACKOFF_MS": "50",
                "ISOLATE_GRPC_CALL_MAX_RECONNECT_BACKOFF_MS": "100",
            }
            os.environ.update(tuned)
            try:
                self.variant(
                    res,
                    "grpc_agent_fast_reconnect",
                    lambda: summary(timed(lambda: grpc_connection.run(two), nv, check=expect(2)), p99=False),
                )
            finally:
                for key in tuned:
                    del os.environ[key]

    # -- warm_server, idle_engine_rss_mb, server parts of result_*, throughput default-workers variant
    def phase_server(self) -> None:
        n = self.n("warm_server")
        server = None
        with self.scenario(
            "warm_server",
            "isolate.server as a subprocess (isolate.server.server.main, i.e. `python -m isolate.server.server "
            "--port P`, default 5 worker threads; its [::] bind rewritten to 127.0.0.1; "
            "ISOLATE_INHERIT_FROM_LOCAL=1 so the agent gets isolate/grpc from the server's venv). Client: "
            "isolate's own 'isolate-server' backend (IsolateServerConnection), one connection (one gRPC "
            "channel) reused; each call is a Run RPC with the virtualenv definition and "
            "isolate_bench_funcs.two pickled by reference. The server keeps each agent after a Run and reuses it "
            "for the next Run of the same environment (BridgeManager; there is no keep_alive flag to set). "
            "About 300 ms of each call is the server's fixed 0.1 s queue polls (_Q_WAIT_DELAY in "
            f"watch_queue_until_completed), not configurable. Median/p99 of {n} calls after 3 warm-up calls.",
        ) as res:
            server = self.start_server("defaults")
            connection = self.server_connection(server)
            two = self.func("two")
            timed(lambda: connection.run(two), 3, check=expect(2))
            res.update(summary(timed(lambda: connection.run(two), n, check=expect(2))))
            res["agents"] = len(server.agent_pids())
            connection._release_channel()

        with self.scenario(
            "idle_engine_rss_mb",
            "VmRSS (MB = 10^6 bytes) of the isolate.server process alone, idle for 1 s after the warm_server "
            "calls; 'agents_mb' is the RSS of the agent process(es) it keeps cached (not included in value).",
        ) as res:
            if server is None:
                raise RuntimeError("no server (warm_server failed)")
            time.sleep(1.0)
            res["value"] = mb(rss_bytes(server.pid))
            agents = server.agent_pids()
            res["agents_mb"] = mb(sum(rss_bytes(pid) for pid in agents))
            res["agents"] = len(agents)

        if server is not None:
            for sid, size in (("result_10mib", 10 << 20), ("result_100mib", 100 << 20)):

                def default_limit(size=size):
                    connection = self.server_connection(server)
                    try:
                        connection.run(self.func("payload", size))
                        return {"unexpected": "succeeded with isolate's default limits"}
                    finally:
                        connection._release_channel()

                self.variant(self.results[sid], "server", lambda: _expect_failure(default_limit))

            self.variant(
                self.results["throughput_32"] if "throughput_32" in self.results else self._pre("throughput_32"),
                "server_default_workers",
                lambda: self.throughput_server(server, workers_note="default (5) worker threads"),
            )
            self.stop_server(server)

        # Result sizes with the limit raised in the server (and its agents) and in the client channel.
        def raised_server():
            srv = self.start_server("raised-limit", extra_env={"ISOLATE_GRPC_CALL_MAX_RECEIVE_MESSAGE_LENGTH": "-1"})
            try:
                connection = self.server_connection(srv, unlimited_receive=True)
                connection.run(self.func("two"))
                for sid, size in (("result_10mib", 10 << 20), ("result_100mib", 100 << 20)):
                    fn = self.func("payload", size)

                    def measure(fn=fn, size=size, sid=sid):
                        timed(lambda: connection.run(fn), 1, check=expect_len(size))
                        out = summary(timed(lambda: connection.run(fn), self.n(sid), check=expect_len(size)), p99=False)
                        out["setting"] = (
                            "server env ISOLATE_GRPC_CALL_MAX_RECEIVE_MESSAGE_LENGTH=-1 and client channel "
                            "option grpc.max_receive_message_length=-1"
                        )
                        return out

                    self.variant(self.results[sid], "server_raised_limit", measure)
                connection._release_channel()
            finally:
                self.stop_server(srv)

        try:
            raised_server()
        except Exception as exc:  # noqa: BLE001
            for sid in ("result_10mib", "result_100mib"):
                self.results[sid].setdefault("variants", {})["server_raised_limit"] = {"error": describe_error(exc)}

    def _pre(self, sid: str) -> dict:
        # Variants measured before their scenario's main number: keep them in a holding dict.
        return self.__dict__.setdefault("_pending", {}).setdefault(sid, {})

    def throughput_server(self, server, *, workers_note: str) -> dict:
        seconds = self.n("throughput_seconds")
        two = self.func("two")
        connections = [self.server_connection(server) for _ in range(32)]
        try:
            # Warm-up: rounds of 32 concurrent calls until one round has no failure (at most 4), so the
            # server has spawned and cached an agent per concurrent Run. 32 agents starting at once on a
            # small machine can miss the server's 10 s agent-connect timeout; the next round retries them.
            warmup_errors: list[str] = []
            for _ in range(4):
                errors = run_threads(32, lambda i: connections[i].run(two), collect=True)
                warmup_errors += [describe_error(exc) for exc in errors]
                if not errors:
                    break
            out = closed_loop(32, lambda i: connections[i].run(two), seconds, check=expect(2))
            if warmup_errors:
                out["warmup_failures"] = len(warmup_errors)
                out["warmup_error"] = warmup_errors[0]
        finally:
            for connection in connections:
                connection._release_channel()
        out["agents"] = len(server.agent_pids())
        out["workers"] = workers_note
        return out

    # -- throughput_32
    def phase_throughput(self) -> None:
        seconds = self.n("throughput_seconds")
        pending = self.__dict__.get("_pending", {}).get("throughput_32", {})
        with self.scenario(
            "throughput_32",
            "32 caller threads in one client process, each with its own isolate-server connection (gRPC channel), "
            f"calling isolate_bench_funcs.two back to back for {seconds:g} s through isolate.server started with "
            "--num-workers 32 (so all 32 Runs are served at once; each concurrent Run gets its own agent from the "
            "server's pool: 32 agents, spawned and cached by untimed warm-up rounds of 32 concurrent calls, repeated "
            "while a round has failures, which are reported as warmup_failures). "
            "calls_per_second = calls completed / wall time until the last caller finished; median/p99 of every "
            "call's latency. Variants: the same against a server with the default 5 worker threads, and 32 "
            "embedded gRPC agents (as in warm_embedded), one per caller, without a server.",
        ) as res:
            res.update({k: v for k, v in pending.items() if k != "variants"})
            if "variants" in pending:
                res.setdefault("variants", {}).update(pending["variants"])
            server = self.start_server("32-workers", workers=32)
            try:
                out = self.throughput_server(server, workers_note="--num-workers 32")
            finally:
                self.stop_server(server)
            res.update(out)
            self.variant(res, "embedded_agents", self.throughput_embedded)

    def throughput_embedded(self) -> dict:
        seconds = self.n("throughput_seconds")
        two = self.func("two")
        agents = [None] * 32

        def start(i):
            if agents[i] is None:
                agents[i] = self.warm_agent()
            agents[i].run(two)

        try:
            # 32 agents start at once; any that missed its connect timeout is retried (at most 3 rounds).
            for attempt in range(3):
                errors = run_threads(32, start, collect=True)
                if not errors:
                    break
                if attempt == 2:
                    raise errors[0]
            return closed_loop(32, lambda i: agents[i].run(two), seconds, check=expect(2))
        finally:
            for agent in agents:
                if agent is not None:
                    self.close_agent(agent)

    # -- cold_environment, shared_environment
    def phase_cold(self) -> None:
        import shutil

        from isolate.backends.settings import IsolateSettings
        from isolate.backends.virtualenv import VirtualPythonEnvironment
        from isolate.connections import PythonIPC

        n = self.n("cold")
        cold_root = self.work / "cold"
        shutil.rmtree(cold_root, ignore_errors=True)
        import_six = self.func("import_six")
        import_both = self.func("import_six_and_toml")
        pip_cache = Path(os.environ["PIP_CACHE_DIR"])

        def settings_in(name: str):
            return IsolateSettings(cache_dir=cold_root / name, log_hook=lambda _log: None)

        def env_of(requirements, settings):
            return VirtualPythonEnvironment.from_config({"requirements": requirements}, settings=settings)

        def build_and_call(requirements, settings, fn, expected):
            env = env_of(requirements, settings)
            start = time.perf_counter()
            with env.connect() as connection:  # create() (virtualenv + pip install) then PythonIPC
                value = connection.run(fn)
            elapsed = time.perf_counter() - start
            if value != expected:
                raise RuntimeError(f"got {value!r}, expected {expected!r}")
            return elapsed

        def with_environ(extra: dict, fn):
            saved = {key: os.environ.get(key) for key in extra}
            os.environ.update(extra)
            try:
                return fn()
            finally:
                for key, value in saved.items():
                    if value is None:
                        os.environ.pop(key, None)
                    else:
                        os.environ[key] = value

        def cold_samples(tag: str) -> dict:
            samples = []
            for i in range(n):
                samples.append(build_and_call([SIX], settings_in(f"{tag}-{i}"), import_six, "1.17.0"))
                shutil.rmtree(cold_root / f"{tag}-{i}", ignore_errors=True)
            return summary(samples, p99=False)

        cold, shared, inherited = [], [], []
        errors: dict[str, str] = {}
        with self.scenario(
            "cold_environment",
            f"build a virtualenv environment with requirements [{SIX!r}] in a fresh, empty isolate cache dir "
            "(IsolateSettings(cache_dir=new dir) per sample), then make one call that imports six: "
            "`with env.connect() as c: c.run(isolate_bench_funcs.import_six)` (virtualenv creation, "
            "`pip install six`, and a PythonIPC call in a new agent process). pip runs as isolate runs it: "
            "its cache enabled (PIP_CACHE_DIR under --work), after one untimed build to warm it and "
            "virtualenv's seed-wheel app-data. Whether pip's cache could serve six is in 'pip_cache_warm' "
            "(it cannot when the index sends no caching headers: then six is downloaded in every sample). "
            f"Median of {n}. Variants: pip_cache_disabled (PIP_NO_CACHE_DIR=1); local_wheels (six and toml "
            "pre-downloaded into a directory, PIP_FIND_LINKS=that dir and PIP_NO_INDEX=1: no network at all, "
            "an upper bound on what a warm pip cache can save).",
        ) as res:
            log("  warm-up build (untimed) to warm pip's and virtualenv's caches")
            build_and_call([SIX, TOML], settings_in("warmup"), import_both, "1.17.0/0.10.2")
            shutil.rmtree(cold_root / "warmup", ignore_errors=True)
            cached_files = sum(len(files) for _, _, files in os.walk(pip_cache)) if pip_cache.exists() else 0
            res["pip_cache_warm"] = cached_files > 0
            if not cached_files:
                res["pip_cache_note"] = (
                    f"pip's cache ({pip_cache}) is still empty after the warm-up build: the package index "
                    "answered without caching headers, so pip stored nothing and downloads six in every sample "
                    "(primary and pip_cache_disabled then measure the same thing)"
                )
            for i in range(n):
                settings = settings_in(f"sample-{i}")
                cold.append(build_and_call([SIX], settings, import_six, "1.17.0"))
                log(f"  cold sample {i}: {ms(cold[-1])} ms")
                # shared_environment: a second environment next to the first one.
                try:
                    shared.append(build_and_call([SIX, TOML], settings, import_both, "1.17.0/0.10.2"))
                    log(f"  shared sample {i}: {ms(shared[-1])} ms")
                except Exception as exc:  # noqa: BLE001
                    errors["shared"] = describe_error(exc)
                try:
                    first_path = env_of([SIX], settings).create()  # cached: built above
                    env = env_of([TOML], settings)
                    start = time.perf_counter()
                    path = env.create()
                    # The benchmark venv is inherited too, only so the agent finds isolate_bench_funcs
                    # (with inheritance, isolate replaces PYTHONPATH by the environments' site-packages).
                    connection = PythonIPC(env, path, extra_inheritance_paths=[first_path, Path(sys.prefix)])
                    value = connection.run(import_both)
                    inherited.append(time.perf_counter() - start)
                    if value != "1.17.0/0.10.2":
                        raise RuntimeError(f"got {value!r}")
                except Exception as exc:  # noqa: BLE001
                    errors["inherit"] = describe_error(exc)
                shutil.rmtree(cold_root / f"sample-{i}", ignore_errors=True)
            res.update(summary(cold, p99=False))

            self.variant(res, "pip_cache_disabled", lambda: with_environ({"PIP_NO_CACHE_DIR": "1"}, lambda: cold_samples("nocache")))

            def local_wheels():
                wheels = self.work / "wheels"
                shutil.rmtree(wheels, ignore_errors=True)
                subprocess.run(
                    [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", str(wheels), SIX, TOML],
                    check=True,
                    stdout=sys.stderr,
                )
                return with_environ(
                    {"PIP_FIND_LINKS": str(wheels), "PIP_NO_INDEX": "1"}, lambda: cold_samples("wheels")
                )

            self.variant(res, "local_wheels", local_wheels)

        with self.scenario(
            "shared_environment",
            f"right after a cold_environment sample built [{SIX!r}] in a cache dir, build a second environment "
            f"[{SIX!r}, {TOML!r}] in the same cache dir and call a function importing both (timed like "
            "cold_environment, same pip conditions). isolate shares nothing between virtualenvs: the second one "
            "is a new virtualenv and pip installs six again. Variant inherit_first: isolate's layering instead: "
            f"build an environment with only [{TOML!r}] and call through PythonIPC(extra_inheritance_paths="
            "[first environment, benchmark venv]) so six comes from the first one (what isolate.server does for a "
            "Run with several environments; the benchmark venv only supplies isolate_bench_funcs). "
            f"Median of {n}.",
        ) as res:
            if not shared:
                raise RuntimeError(errors.get("shared", "no sample (cold_environment failed)"))
            res.update(summary(shared, p99=False))
            if inherited:
                res.setdefault("variants", {})["inherit_first"] = summary(inherited, p99=False)
            elif "inherit" in errors:
                res.setdefault("variants", {})["inherit_first"] = {"error": errors["inherit"]}
        shutil.rmtree(cold_root, ignore_errors=True)


class WarmAgent:
    """One long-lived isolate gRPC agent: LocalPythonGRPC._establish_bridge()
    held open, as isolate.server's BridgeManager does, with Agent.Run per call."""

    def __init__(self, bench: Bench) -> None:
        from contextlib import ExitStack

        from isolate.connections.grpc import LocalPythonGRPC

        self.connection = LocalPythonGRPC(
            bench.base_env, bench.base_path, extra_inheritance_paths=[Path(sys.prefix)]
        )
        self.method = bench.settings.serialization_method
        self._stack = ExitStack()
        try:
            self.stub = self._stack.enter_context(self.connection._establish_bridge())
        except BaseException:
            self._stack.close()
            raise
        self.pid = self.connection._process.pid

    def run(self, fn):
        from isolate.connections.common import serialize_object
        from isolate.connections.grpc import definitions
        from isolate.connections.grpc.interface import from_grpc

        call = definitions.FunctionCall(
            function=definitions.SerializedObject(
                method=self.method,
                definition=serialize_object(self.method, fn),
                was_it_raised=False,
            )
        )
        for partial in self.stub.Run(call):
            if partial.is_complete:
                return from_grpc(partial.result)
        raise RuntimeError("the agent sent no result")

    def close(self) -> None:
        self._stack.close()


class ServerProcess:
    def __init__(self, bench: Bench, name: str, *, workers: int | None, extra_env: dict) -> None:
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        command = [sys.executable, "-c", SERVER_LAUNCHER, "--port", str(self.port)]
        if workers is not None:
            command += ["--num-workers", str(workers)]
        env = dict(os.environ, ISOLATE_INHERIT_FROM_LOCAL="1", **extra_env)
        logs = bench.work / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        self.log_path = logs / f"server-{name}.log"
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: agents included, killed together
        )
        self.pid = self.process.pid
        log(f"  isolate.server ({name}) pid {self.pid} on {self.address}")

    def wait_ready(self, timeout: float = 60.0) -> None:
        import grpc

        deadline = time.monotonic() + timeout
        with grpc.insecure_channel(self.address) as channel:
            ready = grpc.channel_ready_future(channel)
            while True:
                try:
                    ready.result(timeout=0.2)
                    return
                except grpc.FutureTimeoutError:
                    pass
                if self.process.poll() is not None:
                    raise RuntimeError(f"isolate.server exited with {self.process.returncode}; see {self.log_path}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"isolate.server not ready in {timeout} s; see {self.log_path}")

    def agent_pids(self) -> list[int]:
        return descendants(self.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.pid, signal.SIGTERM)
                self.process.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        try:
            os.killpg(self.pid, signal.SIGKILL)  # agents left in its process group
        except ProcessLookupError:
            pass
        if self.process.poll() is None:
            self.process.wait(timeout=10)
        self._log.close()


# ---------------- small helpers used by the scenarios ----------------


def describe_error(exc: BaseException) -> str:
    code = getattr(exc, "code", None)
    details = getattr(exc, "details", None)
    if callable(code) and callable(details):  # grpc.RpcError
        try:
            return f"{code().name}: {details()}"
        except Exception:  # noqa: BLE001
            pass
    return f"{type(exc).__name__}: {exc}"


def _expect_failure(fn) -> dict:
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001
        return {"error": describe_error(exc)}


def expect(value):
    def check(result):
        if result != value:
            raise RuntimeError(f"got {result!r}, expected {value!r}")

    return check


def expect_len(size: int):
    def check(result):
        if len(result) != size:
            raise RuntimeError(f"got {len(result)} bytes, expected {size}")

    return check


def run_threads(count: int, fn, *, collect: bool = False) -> list[BaseException]:
    """Run fn(0..count-1) on `count` threads at once; raise the first error, or return them all."""
    errors: list[BaseException] = []

    def body(i):
        try:
            fn(i)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors and not collect:
        raise errors[0]
    return errors


def closed_loop(callers: int, call, seconds: float, check=None) -> dict:
    """`callers` threads call back to back until the deadline; returns rate and latencies."""
    latencies: list[list[float]] = [[] for _ in range(callers)]
    start_gate = threading.Event()
    deadline_box = [0.0]

    errors: list[BaseException] = []

    def body(i):
        start_gate.wait()
        own = latencies[i]
        while time.perf_counter() < deadline_box[0]:
            begin = time.perf_counter()
            try:
                result = call(i)
                if check is not None:
                    check(result)
            except Exception as exc:  # noqa: BLE001 — counted, the caller goes on
                errors.append(exc)
                continue
            own.append(time.perf_counter() - begin)

    def guarded(i):
        try:
            body(i)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(i,), daemon=True) for i in range(callers)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    deadline_box[0] = began + seconds
    start_gate.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    every = [value for own in latencies for value in own]
    if not every:
        raise errors[0] if errors else RuntimeError("no call completed")
    out = {
        "calls_per_second": round(len(every) / elapsed, 1),
        "median_ms": ms(statistics.median(every)),
        "p99_ms": ms(percentile(every, 0.99)),
        "samples": len(every),
        "seconds": round(elapsed, 2),
    }
    if errors:
        out["failed_calls"] = len(errors)
        out["first_failure"] = describe_error(errors[0])
    return out


def short(result: dict) -> str:
    if "not_applicable" in result:
        return "n/a"
    parts = []
    for key in ("calls_per_second", "median_ms", "p99_ms", "value", "samples"):
        if key in result:
            parts.append(f"{key}={result[key]}")
    if "error" in result:
        parts.append("error=" + result["error"].splitlines()[0][:120])
    return " ".join(parts) or "-"


def render_table(doc: dict) -> str:
    lines = [
        f"isolate {doc.get('version')} (Python {doc['python']}, {doc['cpus']} CPUs, "
        f"{'quick' if doc['quick'] else 'full'} run, {doc['total_seconds']} s)",
        "",
    ]
    rows = [("scenario", "result", "samples")]

    def describe(result: dict) -> str:
        if "not_applicable" in result:
            return "n/a: " + result["not_applicable"]
        if "calls_per_second" in result:
            return f"{result['calls_per_second']} calls/s (median {result['median_ms']} ms, p99 {result['p99_ms']} ms)"
        if "median_ms" in result:
            text = f"median {result['median_ms']} ms"
            if "p99_ms" in result:
                text += f", p99 {result['p99_ms']} ms"
            return text
        if "value" in result:
            return f"{result['value']} MB"
        if "error" in result:
            text = "ERROR " + " ".join(result["error"].split())[:100]
            raised = result.get("raised_limit", {})
            if "median_ms" in raised:
                text += f" | limit raised: median {raised['median_ms']} ms"
            return text
        return "-"

    for sid, result in doc["scenarios"].items():
        rows.append((sid, describe(result), str(result.get("samples", ""))))
        for name, variant in (result.get("variants") or {}).items():
            rows.append(("  · " + name, describe(variant), str(variant.get("samples", ""))))
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    for row in rows:
        lines.append(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]}".rstrip())
    return "\n".join(lines) + "\n"


def inner_main(args: argparse.Namespace) -> None:
    # Everything printed by isolate, pip, virtualenv or any child goes to
    # stderr; the document goes to the real stdout, kept aside here.
    sys.stdout.flush()
    document_fd = os.dup(1)
    os.dup2(2, 1)
    document_out = os.fdopen(document_fd, "w")

    bench = Bench(args, document_out)
    finished = threading.Event()

    def watchdog():
        if finished.wait(TIME_LIMIT_SECONDS[args.quick]):
            return
        log("time limit reached: stopping")
        kill_descendants()
        bench.emit(status=f"stopped at the {TIME_LIMIT_SECONDS[args.quick]} s time limit")
        os._exit(3)

    threading.Thread(target=watchdog, daemon=True).start()

    def on_sigterm(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)
    code = 0
    try:
        bench.run()
    except KeyboardInterrupt:
        log("interrupted: cleaning up")
        code = 130
    except Exception as exc:  # noqa: BLE001 — setup failed: still print a document
        log(f"failed: {describe_error(exc)}")
        bench.info["fatal"] = describe_error(exc)
        code = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        bench.cleanup()
        finished.set()
    bench.emit(status="interrupted" if code == 130 else None)
    left = descendants(os.getpid(), include_zombies=False)
    if left:
        log(f"processes still alive after cleanup: {left}")
    log(f"total {time.monotonic() - bench.started:.1f} s")
    sys.stderr.flush()
    # grpc and isolate's log threads must not keep the process alive.
    os._exit(code)


def main() -> None:
    # A parent may hand us its blocked signals (Foundation's Process on Linux spawns with the
    # calling thread's mask, where Swift's threads block nearly everything). isolate's agents
    # inherit it too, and then connect only after gRPC's long timeouts; start clean.
    signal.pthread_sigmask(signal.SIG_SETMASK, set())
    for number in (signal.SIGTERM, signal.SIGCHLD, signal.SIGHUP):
        if signal.getsignal(number) == signal.SIG_IGN:
            signal.signal(number, signal.SIG_DFL)
    args = parse_args()
    inner = os.environ.get("ISOLATE_BENCH_INNER")
    if inner:
        if Path(sys.prefix).resolve() != Path(inner).resolve():
            sys.exit(f"ISOLATE_BENCH_INNER={inner} but running in {sys.prefix}")
        inner_main(args)
    else:
        outer_main(args)


if __name__ == "__main__":
    main()
