"""A real `isolated serve` with its gRPC front door, and the real fal-serverless client run against it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Iterator, List

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
    ]
}


class Server:
    def __init__(self, grpc: str, http: str, key_id: str, secret: str, log: Path) -> None:
        self.grpc, self.http, self.key_id, self.secret, self.log = grpc, http, key_id, secret, log

    def client_environment(self, **overrides: str) -> Dict[str, str]:
        environment = dict(os.environ)
        environment.update(FAL_HOST=self.grpc, ISOLATE_TEST_MODE="1", FAL_KEY_ID=self.key_id, FAL_KEY_SECRET=self.secret)
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

    def invocations(self) -> List[dict]:
        """`isolated invocations` through the server's HTTP API."""
        output = subprocess.run(
            [str(ISOLATED), "invocations", "--json", "--server", self.http],
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


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not ISOLATED.exists():
        subprocess.run(["swift", "build", "--product", "isolated"], cwd=ROOT, check=True)
    directory = tmp_path_factory.mktemp("server")
    database = directory / "isolated.sqlite"
    catalog = directory / "machine-types.json"
    catalog.write_text(json.dumps(CATALOG))
    created = subprocess.run(
        [str(ISOLATED), "keys", "create", "pytest", "--home", str(HOME), "--database", str(database)],
        capture_output=True, text=True, check=True,
    )
    key_id = re.search(r"FAL_KEY_ID=(\S+)", created.stderr).group(1)  # type: ignore[union-attr]
    secret = created.stdout.strip()
    log = directory / "serve.log"
    with open(log, "w") as output:
        process = subprocess.Popen(
            [str(ISOLATED), "serve", "--home", str(HOME), "--database", str(database), "--port", "0", "--grpc-port", "0",
             "--machine-types", str(catalog)],
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
        yield Server(grpc, http, key_id, secret, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
