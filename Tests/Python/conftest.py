"""A real `isolated serve` with its gRPC front door, and the real fal-serverless client run against it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = Path(__file__).parent / "examples"
ISOLATED = ROOT / ".build" / "debug" / "isolated"
# The Swift tests' cache, so environments built there are reused here.
HOME = Path(os.environ.get("ISOLATED_TEST_HOME", str(ROOT / ".build" / "isolated-test-home")))

# The standard catalog, plus a GPU type this machine can run: the reference's example asks for one.
CATALOG = {
    "types": [
        {"name": "XS", "cpus": 0.5, "memory": "512 MiB", "processes": 64},
        {"name": "S", "cpus": 1, "memory": "1 GiB", "processes": 128},
        {"name": "GPU", "cpus": 1, "memory": "1 GiB", "processes": 128, "gpus": 0},
        # A type only a machine with a GPU can run, which this one has not.
        {"name": "A100", "cpus": 1, "memory": "1 GiB", "processes": 128, "gpus": 1},
    ]
}


# On the loopback Slurm cluster (scripts/slurm-cluster.sh): GPU is a type only node2, which has the GPU, can hold.
CLUSTER_CATALOG = {
    "types": [
        {"name": "XS", "cpus": 0.5, "memory": "512 MiB", "processes": 64},
        {"name": "GPU", "cpus": 1, "memory": "1 GiB", "processes": 128, "gpus": 1},
    ]
}


class Server:
    def __init__(
        self, grpc: str, http: str, key_id: str, secret: str, log: Path, client: Dict[str, str], process: subprocess.Popen[bytes]
    ) -> None:
        self.grpc, self.http, self.key_id, self.secret, self.log, self.client = grpc, http, key_id, secret, log, client
        self.process = process

    def client_environment(self, **overrides: str) -> Dict[str, str]:
        environment = {name: value for name, value in os.environ.items() if name not in ("ISOLATE_TEST_MODE", "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH")}
        environment.update(FAL_HOST=self.grpc, FAL_KEY_ID=self.key_id, FAL_KEY_SECRET=self.secret, **self.client)
        environment.update(overrides)
        return environment

    def run_example(self, name: str, *arguments: str, timeout: float = 600, **environment: str) -> subprocess.CompletedProcess[str]:
        """Runs Tests/Python/examples/NAME.py with the client, as a user would."""
        return subprocess.run(
            [sys.executable, str(EXAMPLES / f"{name}.py"), *arguments],
            env=self.client_environment(**environment),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def fal_cli(self, *arguments: str, **environment: str) -> str:
        """The client's own command-line tool, `fal-serverless`, pointed at this server: what it printed, on one line.

        It prints errors as it prints results, and exits 0 either way."""
        host, port = self.grpc.rsplit(":", 1)
        command, rest = arguments[0], arguments[1:]
        result = subprocess.run(
            [str(Path(sys.executable).parent / "fal-serverless"), command, "--host", host, "--port", port, *rest],
            env=self.client_environment(COLUMNS="400", **environment), capture_output=True, text=True, timeout=120,
        )
        return " ".join((result.stdout + result.stderr).split())

    def metrics(self) -> str:
        """`GET /metrics` with the server's key."""
        request = urllib.request.Request(f"{self.http}/metrics", headers={"Authorization": f"Bearer {self.secret}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read().decode()

    def invocations(self) -> List[dict]:
        """`isolated invocations` through the server's HTTP API."""
        output = subprocess.run(
            [str(ISOLATED), "invocations", "--json", "--limit", "1000", "--server", self.http],
            env=dict(os.environ, ISOLATED_KEY=self.secret), capture_output=True, text=True, check=True,
        ).stdout
        return json.loads(output)

    def runners(self) -> List[dict]:
        """`isolated runners list` through the server's HTTP API."""
        output = subprocess.run(
            [str(ISOLATED), "runners", "list", "--json", "--server", self.http],
            env=dict(os.environ, ISOLATED_KEY=self.secret), capture_output=True, text=True, check=True,
        ).stdout
        return json.loads(output)


def start_server(
    directory: Path, *arguments: str, client: Optional[Dict[str, str]] = None, catalog: Optional[dict] = None
) -> Iterator[Server]:
    """`isolated serve` with a fresh database and an admin key, as a user starts it; `client` adds to its clients' environment."""
    if not ISOLATED.exists():
        subprocess.run(["swift", "build", "--product", "isolated"], cwd=ROOT, check=True)
    database = directory / "isolated.sqlite"
    catalog_file = directory / "machine-types.json"
    catalog_file.write_text(json.dumps(catalog or CATALOG))
    created = subprocess.run(
        [str(ISOLATED), "keys", "create", "pytest", "--scope", "admin", "--home", str(HOME), "--database", str(database)],
        capture_output=True, text=True, check=True,
    )
    key_id = re.search(r"FAL_KEY_ID=(\S+)", created.stderr).group(1)  # type: ignore[union-attr]
    secret = created.stdout.strip()
    log = directory / "serve.log"
    with open(log, "w") as output:
        process = subprocess.Popen(
            [str(ISOLATED), "serve", "--home", str(HOME), "--database", str(database), "--port", "0", "--grpc-port", "0",
             "--machine-types", str(catalog_file), *arguments],
            stdout=output, stderr=subprocess.STDOUT,
        )
    try:
        grpc = http = None
        for _ in range(600):
            text = log.read_text()
            grpc = grpc or (re.search(r"serving gRPC on (\S+)", text) or [None, None])[1]
            http = http or (re.search(r"serving on (http://\S+)", text) or [None, None])[1]
            if grpc and http:
                break
            if process.poll() is not None:
                break
            time.sleep(0.1)
        assert grpc and http, f"isolated serve did not start:\n{log.read_text()}"
        yield Server(grpc, http, key_id, secret, log, client or {"ISOLATE_TEST_MODE": "1"}, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from start_server(tmp_path_factory.mktemp("server"))


@pytest.fixture(scope="session")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server speaking TLS with a self-signed certificate for api.localhost, which its clients trust (and nothing else)."""
    directory = tmp_path_factory.mktemp("tls-server")
    certificate, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(certificate), "-days", "2",
         "-subj", "/CN=api.localhost", "-addext", "subjectAltName=DNS:api.localhost"],
        capture_output=True, check=True,
    )
    yield from start_server(
        directory, "--grpc-tls-cert", str(certificate), "--grpc-tls-key", str(key),
        client={"GRPC_DEFAULT_SSL_ROOTS_FILE_PATH": str(certificate)},
    )


def slurm_conf() -> str:
    """The loopback Slurm cluster's configuration: the one SLURM_CONF names (the test command starts it), or started now."""
    named = os.environ.get("SLURM_CONF", "")
    if named and Path(named).exists():
        return named
    started = subprocess.run(
        [str(ROOT / "scripts" / "slurm-cluster.sh"), "start", str(ROOT / ".build" / "slurm")], capture_output=True, text=True, check=True
    )
    conf = started.stdout.strip().rsplit("SLURM_CONF=", 1)[1]
    os.environ["SLURM_CONF"] = conf
    return conf


def cluster_jobs() -> List[str]:
    """The jobs of every isolated server in the cluster's queue, as `id name state node` lines."""
    output = subprocess.run(
        ["squeue", "--noheader", "--format=%i %j %T %N"], env=dict(os.environ, SLURM_CONF=slurm_conf()),
        capture_output=True, text=True, check=True,
    ).stdout
    return [line for line in output.splitlines() if line.split()[1:2] and line.split()[1].startswith("isolated-")]


def start_cluster_server(directory: Path) -> Iterator[Server]:
    """`isolated serve --launcher slurm` on the loopback cluster, its runners connecting back to loopback."""
    os.environ["SLURM_CONF"] = slurm_conf()
    yield from start_server(directory, "--launcher", "slurm", catalog=CLUSTER_CATALOG)


@pytest.fixture(scope="session")
def cluster_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from start_cluster_server(tmp_path_factory.mktemp("cluster-server"))
