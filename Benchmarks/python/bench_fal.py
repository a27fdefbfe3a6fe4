#!/usr/bin/env python3
"""Isolated's Python rows of the benchmark: the real, unmodified fal-serverless 0.6.41 client
calling a real `isolated serve --grpc-port` server, beside isolate's Python figures.

    FAL_HOST=api.localhost:PORT ISOLATE_TEST_MODE=1 FAL_KEY_ID=... FAL_KEY_SECRET=... \\
        python3 Benchmarks/python/bench_fal.py --http http://127.0.0.1:PORT --home HOME [--quick] [--json]

Standard library only at top level: any python3 runs it; it makes the client's virtual
environment (.build/python-tests, through scripts/python-venv.sh) if missing and runs itself
again there. With --json, stdout carries one JSON document and nothing else; progress goes to
stderr. See README.md beside this file.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

SCRIPT_DIR = Path(__file__).resolve().parent
REPO_ROOT = SCRIPT_DIR.parent.parent
INNER = "ISOLATED_BENCH_FAL_INNER"

# The requirements of isolate's cold and shared environments (Benchmarks/isolate/bench.py), so the rows compare.
SIX = "six==1.17.0"
TOML = "toml==0.10.2"

# (full, quick)
COUNTS = {
    "warm": (1000, 100),
    "warmup": (50, 10),
    "new_runner": (30, 5),
    "cold": (3, 1),
}

Result = Dict[str, Any]


def log(message: str) -> None:
    print(f"[fal-bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few samples")
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    parser.add_argument("--http", required=True, help="the server's HTTP API, for its history of the calls (phases)")
    parser.add_argument("--home", required=True, help="the server's home, where the benchmark removes the environments it made")
    return parser.parse_args()


# --------------------------------------------------------------------------
# Outer half: make the client's virtual environment, then re-execute inside it.
# --------------------------------------------------------------------------


def outer_main() -> None:
    made = subprocess.run([str(REPO_ROOT / "scripts" / "python-venv.sh")], stdout=subprocess.PIPE, text=True)
    if made.returncode != 0:
        sys.exit("scripts/python-venv.sh could not make the fal-serverless client's virtual environment")
    python = made.stdout.strip().splitlines()[-1]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(python, [python, str(Path(__file__).resolve())] + sys.argv[1:], dict(os.environ, **{INNER: "1"}))


# --------------------------------------------------------------------------
# Measuring helpers (standard library).
# --------------------------------------------------------------------------


def ms(seconds: float) -> float:
    return round(seconds * 1000.0, 3)


def percentile(values: List[float], fraction: float) -> float:
    """Nearest rank, as Benchmarks/isolate/bench.py."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


def summary(seconds: List[float]) -> Result:
    """Median, and p99 from 20 samples up, as the Swift side reports its own figures."""
    out: Result = {"median_ms": ms(statistics.median(seconds)), "samples": len(seconds)}
    if len(seconds) >= 20:
        out["p99_ms"] = ms(percentile(seconds, 0.99))
    return out


def timed(body: Callable[[], Any]) -> float:
    start = time.perf_counter()
    body()
    return time.perf_counter() - start


def short(result: Result) -> str:
    parts = [f"{key}={result[key]}" for key in ("median_ms", "p99_ms", "samples") if key in result]
    if "error" in result:
        parts.append("error=" + str(result["error"]).splitlines()[0][:160])
    return " ".join(parts)


def describe_error(error: BaseException) -> str:
    code, details = getattr(error, "code", None), getattr(error, "details", None)
    if callable(code) and callable(details):  # grpc.RpcError
        return f"{code().name}: {details()}"
    return f"{type(error).__name__}: {error}"


def expect(value: Any, expected: Any) -> None:
    if value != expected:
        raise RuntimeError(f"got {value!r}, expected {expected!r}")


# --------------------------------------------------------------------------
# Inner half: runs in the client's virtual environment, with fal_serverless importable.
# --------------------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.quick = args.quick
        self.http = args.http.rstrip("/")
        self.home = Path(args.home)
        self.secret = os.environ["FAL_KEY_SECRET"]
        # Marks the environments this run makes, so each is new to the server and removed afterwards.
        self.nonce = f"isolated-bench-{random.getrandbits(48):012x}"
        self.results: Dict[str, Result] = {}

    def n(self, key: str) -> int:
        full, quick = COUNTS[key]
        return quick if self.quick else full

    def scenario(self, sid: str, how: str, body: Callable[[Result], None]) -> None:
        """Runs one scenario into results[sid]; its failure is its figure, and the others still run."""
        log(f"{sid} ...")
        result: Result = {"how": how}
        self.results[sid] = result
        started = time.monotonic()
        try:
            body(result)
        except Exception as error:  # noqa: BLE001
            result["error"] = describe_error(error)
        log(f"{sid} in {time.monotonic() - started:.1f} s: {short(result)}")
        for name, variant in (result.get("variants") or {}).items():
            log(f"  {name}: {short(variant)}")

    def history(self, count: int) -> List[Result]:
        """The server's newest `count` recorded calls (GET /v1/invocations), newest first."""
        request = urllib.request.Request(
            f"{self.http}/v1/invocations?limit={count}", headers={"Authorization": f"Bearer {self.secret}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    @staticmethod
    def phase_seconds(call: Result, phase: str) -> Optional[float]:
        return next((entry["seconds"] for entry in call.get("phases", []) if entry.get("phase") == phase), None)

    def phase_variants(self, calls: List[Result], phases: List[str]) -> Dict[str, Result]:
        """Each phase's durations over `calls`, as the server recorded them."""
        variants = {}
        for phase in phases:
            values = [seconds for seconds in (self.phase_seconds(call, phase) for call in calls) if seconds is not None]
            if values:
                variants[f"server_{phase}_phase"] = summary(values)
        return variants

    def run(self) -> None:
        from importlib.metadata import version

        import grpc
        import isolate_proto
        from fal_serverless import isolated
        from fal_serverless.api import FalServerlessHost, _prepare_partial_func
        from fal_serverless.sdk import FalServerlessClient
        from isolate.connections.grpc.interface import to_serialized_object

        self.client_version = version("fal-serverless")
        # What @isolated uses by default: FAL_HOST and the key from the environment.
        host = FalServerlessHost()

        # Defined here, not at the top (the outer half has no fal_serverless), but pickled the same way as a
        # function in a user's script: by value, with the client's wrapper and its helpers.
        @isolated(keep_alive=600)
        def two() -> int:
            return 1 + 1

        @isolated(keep_alive=0)
        def fresh() -> int:
            return 1 + 1

        def channel_round_trip() -> None:
            """What every call of the client pays before its Run: a new FalServerlessConnection (a new channel, TCP and
            HTTP/2 connection, with the client's credentials, options and interceptor), and here one RPC the server
            answers at once (ListAliases, which it does not serve)."""
            connection = FalServerlessClient(host.url, host.credentials).connect()
            try:
                connection.list_aliases()
            except grpc.RpcError:
                pass

        # The same Run as two()'s, pickled once, for the parts of a warm call without the client's pickling or channel.
        kept = FalServerlessClient(host.url, host.credentials).connect()
        environment = kept.define_environment(kind="virtualenv", python_version=f"{sys.version_info[0]}.{sys.version_info[1]}")
        request = isolate_proto.HostedRun(
            function=to_serialized_object(_prepare_partial_func(two.func), "dill"),
            environments=[environment],
            machine_requirements=isolate_proto.MachineRequirements(machine_type="XS", keep_alive=600),
        )
        # The same Run on a machine type no catalog has: the server authenticates it, records it and the engine refuses it.
        refused = isolate_proto.HostedRun()
        refused.CopyFrom(request)
        refused.machine_requirements.machine_type = "bench-no-such-type"
        lean = isolate_proto.IsolateControllerStub(grpc.insecure_channel(host.url))
        metadata = [("auth-key", self.secret), ("auth-key-id", os.environ["FAL_KEY_ID"])]

        def run_on(stub: Any, **options: Any) -> None:
            last = None
            for last in stub.Run(request, **options):
                pass
            if last is None or not last.return_value.definition:
                raise RuntimeError("the Run returned no value")

        def run_refused() -> None:
            try:
                for _ in lean.Run(refused, metadata=metadata):
                    pass
            except grpc.RpcError:
                return
            raise RuntimeError("a Run on an unknown machine type was not refused")

        def unary_on_kept() -> None:
            try:
                kept.list_aliases()
            except grpc.RpcError:
                pass

        def unary_lean() -> None:
            try:
                lean.ListAliases(isolate_proto.ListAliasesRequest(), metadata=metadata)
            except grpc.RpcError:
                pass

        warm_count = self.n("warm")
        parts: Dict[str, Callable[[], None]] = {
            "call": lambda: expect(two(), 2),
            "channel": channel_round_trip,
            "unary_reused_channel": unary_on_kept,
            "unary_lean_client": unary_lean,
            "client_serialization": lambda: to_serialized_object(_prepare_partial_func(two.func), "dill"),
            "run_reused_channel": lambda: run_on(kept.stub),
            "run_lean_client": lambda: run_on(lean, metadata=metadata),
            "run_refused_lean_client": run_refused,
        }
        samples: Dict[str, List[float]] = {name: [] for name in parts}

        def measure_warm(result: Result) -> None:
            log("  first call (untimed): builds the no-requirement environment and the runner's layer on a fresh home")
            expect(two(), 2)
            for _ in range(self.n("warmup")):
                for part in parts.values():
                    part()
            # Interleaved, in a rotating order, so every part is measured under the same load.
            names = list(parts)
            for index in range(warm_count):
                for name in names[index % len(names) :] + names[: index % len(names)]:
                    samples[name].append(timed(parts[name]))
            result.update(summary(samples["call"]))
            result["variants"] = {
                "client_serialization": summary(samples["client_serialization"]),
                "run_reused_channel": summary(samples["run_reused_channel"]),
                "run_lean_client": summary(samples["run_lean_client"]),
                "run_refused_lean_client": summary(samples["run_refused_lean_client"]),
                **self.phase_variants([call for call in self.history(1000) if call.get("warm")], ["run"]),
            }

        self.scenario(
            "python_warm_server",
            f"fal-serverless {self.client_version} on Python {sys.version.split()[0]}, unmodified: a trivial "
            "@isolated(keep_alive=600) function defined in this script (pickled by value with dill, as a user's) called "
            "warm through isolated serve --grpc-port on loopback (FAL_HOST=api.localhost, ISOLATE_TEST_MODE=1, a key); "
            "each call pickles the function, opens a new gRPC channel (the client does, per call) and runs one Run. "
            f"Median/p99 of {warm_count} calls after {self.n('warmup')} to warm up, interleaved with the variants and "
            "python_channel. Variants: client_serialization (the client's dill pickling of the call alone); "
            "run_reused_channel (the same Run, pickled once, on one kept FalServerlessConnection: no pickling, no new "
            "channel); run_lean_client (that Run on a plain grpc.insecure_channel with the key as metadata: no call-"
            "credential plugins or interceptor, the closest a Python client gets to the server's own time); "
            "run_refused_lean_client (that Run on an unknown machine type: authenticated, recorded in the history and "
            "refused by the engine, so the server's own work per call without a runner); "
            "server_run_phase (the run phase of the server's newest 1000 warm calls, from its history: engine to "
            "runner and back, the runner unpickling, calling and pickling).",
            measure_warm,
        )

        def measure_channel(result: Result) -> None:
            if not samples["channel"]:
                raise RuntimeError("not measured: python_warm_server failed before its samples")
            result.update(summary(samples["channel"]))
            result["variants"] = {name: summary(samples[name]) for name in ("unary_reused_channel", "unary_lean_client")}

        self.scenario(
            "python_channel",
            "what each call of the fal-serverless client pays for its channel: a new FalServerlessConnection (new "
            "gRPC channel: name resolution of api.localhost, TCP and HTTP/2 connection, the client's local credentials, "
            "key plugins and interceptor) and one ListAliases RPC, which the server answers at once (it does not serve "
            f"it); the connection then dropped, as the client drops it. Median/p99 of {warm_count}, interleaved with "
            "python_warm_server's calls. Variants: unary_reused_channel (the same RPC on one kept connection); "
            "unary_lean_client (it on run_lean_client's plain channel: the gRPC round trip alone).",
            measure_channel,
        )

        runner_count = self.n("new_runner")

        def measure_new_runner(result: Result) -> None:
            expect(fresh(), 2)
            calls = []
            for _ in range(runner_count):
                calls.append(timed(lambda: expect(fresh(), 2)))
            result.update(summary(calls))
            result["variants"] = self.phase_variants(self.history(runner_count), ["start", "run"])

        self.scenario(
            "python_new_runner",
            "a @isolated(keep_alive=0) function (no requirements, its environment built), so every call starts a new "
            "sandboxed XS Python runner: client pickling, new channel, runner start, first call, result. "
            f"Median of {runner_count} after 1 untimed. Variants: the server's start and run phases of those calls.",
            measure_new_runner,
        )
        kept.close()
        self.measure_cold(isolated)

    def measure_cold(self, isolated: Callable[..., Any]) -> None:
        count = self.n("cold")
        cold: List[float] = []
        shared: List[float] = []
        cold_calls: List[Result] = []
        shared_calls: List[Result] = []

        def import_six() -> str:
            import six

            return six.__version__

        def import_six_and_toml() -> str:
            import six
            import toml

            return six.__version__ + "/" + toml.__version__

        def marked(requirement: str, tag: str) -> str:
            # An always-true marker naming the sample: the same install, but a requirement set the server never built.
            return f'{requirement}; platform_release != "{self.nonce}-{tag}"'

        def first_call(requirements: List[str], function: Callable[[], str], expected: str) -> float:
            return timed(lambda: expect(isolated(requirements=requirements, keep_alive=0)(function)(), expected))

        def measure(result: Result) -> None:
            log("  warm-up build (untimed), as isolate's: six and toml, to warm uv's cache and the server's Python machinery")
            first_call([marked(SIX, "warmup"), marked(TOML, "warmup")], import_six_and_toml, "1.17.0/0.10.2")
            for index in range(count):
                six = marked(SIX, str(index))
                cold.append(first_call([six], import_six, "1.17.0"))
                cold_calls.extend(self.history(1))
                log(f"  cold sample {index}: {ms(cold[-1])} ms")
                # shared_environment: a second environment sharing six, right after the first, as isolate's bench does.
                shared.append(first_call([six, marked(TOML, str(index))], import_six_and_toml, "1.17.0/0.10.2"))
                shared_calls.extend(self.history(1))
                log(f"  shared sample {index}: {ms(shared[-1])} ms")
            result.update(summary(cold))
            result["variants"] = self.phase_variants(cold_calls, ["environment", "start", "run"])

        try:
            self.scenario(
                "python_cold_environment",
                f"a requirement set the server never built, [{SIX!r}] (with an always-true environment marker naming the "
                "sample, so its environment key is new), then the first call of a keep_alive=0 function importing six, "
                "through the fal-serverless client: uv venv and uv pip install six (uv's cache in the server's home, "
                "shared by its environments, after one untimed build of six and toml, as isolate's bench warms pip's), "
                "runner start, call. The package index sends no caching headers, so uv revalidates six's index page and "
                f"wheel and downloads both again, as pip does on isolate's side. Median of {count}. Variants: the "
                "server's environment (uv), start and run phases of those calls.",
                measure,
            )

            def measure_shared(result: Result) -> None:
                if not shared:
                    raise RuntimeError("not measured: python_cold_environment failed before its samples")
                result.update(summary(shared))
                result["variants"] = self.phase_variants(shared_calls, ["environment", "start", "run"])

            self.scenario(
                "python_shared_environment",
                f"right after each python_cold_environment sample, a second new environment [{SIX!r}, {TOML!r}] sharing "
                "its six requirement, and the first call of a function importing both, timed the same way (uv downloads six "
                "and toml again, for the same reason). "
                f"Median of {count}. Variants: the server's phases of those calls.",
                measure_shared,
            )
        finally:
            self.remove_environments()

    def remove_environments(self) -> None:
        """Removes the environments this run made from the server's home (`environments/KEY`, `KEY.json`,
        `KEY.lock`), found by the nonce in their records: `isolated envs` does not list Python environments yet."""
        directory = self.home / "environments"
        for record in directory.glob("*.json"):
            try:
                requirements = json.loads(record.read_text()).get("spec", {}).get("requirements", [])
            except (OSError, ValueError):
                continue
            if any(self.nonce in requirement for requirement in requirements):
                key = record.stem
                shutil.rmtree(directory / key, ignore_errors=True)
                for path in (record, directory / f"{key}.lock"):
                    path.unlink(missing_ok=True)

    def document(self) -> Result:
        return {
            "system": "isolated",
            "client": f"fal-serverless {getattr(self, 'client_version', '?')}",
            "python": sys.version.split()[0],
            "quick": self.quick,
            "scenarios": self.results,
        }


def render(document: Result) -> str:
    lines = [f"{document['client']} on Python {document['python']} against isolated serve", ""]
    for sid, result in document["scenarios"].items():
        lines.append(f"{sid}: {short(result)}")
        for name, variant in (result.get("variants") or {}).items():
            lines.append(f"  · {name}: {short(variant)}")
    return "\n".join(lines) + "\n"


def inner_main(args: argparse.Namespace) -> None:
    for name in ("FAL_HOST", "FAL_KEY_ID", "FAL_KEY_SECRET"):
        if not os.environ.get(name):
            sys.exit(f"{name} is not set: the client reads the server's address and key from the environment")
    # The client only speaks plaintext with it, which the server's gRPC front door speaks.
    os.environ.setdefault("ISOLATE_TEST_MODE", "1")
    # The document goes to the real stdout; anything the client prints goes to stderr.
    sys.stdout.flush()
    document_out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    bench = Bench(args)
    status = 0
    try:
        bench.run()
    except Exception as error:  # noqa: BLE001 — setup failed: still print a document
        log(f"failed: {describe_error(error)}")
        bench.results.setdefault("python_warm_server", {"error": describe_error(error)})
        status = 1
    document = bench.document()
    document_out.write(json.dumps(document, indent=1) + "\n" if args.json else render(document))
    document_out.flush()
    sys.stderr.flush()
    # grpc's threads must not keep the process alive.
    os._exit(status)


def main() -> None:
    # A parent may hand over blocked signals (a Swift process's threads block nearly all); start clean, so the
    # deadline's SIGKILL and Ctrl-C work as usual.
    signal.pthread_sigmask(signal.SIG_SETMASK, set())
    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        if signal.getsignal(number) == signal.SIG_IGN:
            signal.signal(number, signal.SIG_DFL)
    args = parse_args()
    if os.environ.get(INNER):
        inner_main(args)
    else:
        outer_main()


if __name__ == "__main__":
    main()
