"""The reference pages' examples, and the client's other features, run unmodified by fal-serverless 0.6.41 against `isolated serve`."""

from __future__ import annotations

import http.server
import re
import subprocess
import threading
from typing import Iterator

import pytest

from conftest import ISOLATED, Server


def succeeded(result) -> str:  # type: ignore[no-untyped-def]
    assert result.returncode == 0, f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result.stdout


def test_isolated_joke_on_a_gpu_machine_type(server: Server) -> None:
    output = succeeded(server.run_example("isolated_joke"))
    assert len(output.strip()) > 10


def test_get_two_reuses_its_warm_runner(server: Server) -> None:
    assert succeeded(server.run_example("get_two")).strip() == "2"
    runners = [runner for runner in server.runners() if runner["calls"] >= 2]
    assert runners, "the second call ran on the first call's runner"
    assert any(runner["keepAlive"] == 300 for runner in runners)


@pytest.fixture
def local_site() -> Iterator[str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = f"page {self.path}".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *arguments: object) -> None:
            pass

    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{site.server_address[1]}"
    site.shutdown()


def test_get_response_fetches_with_requests(server: Server, local_site: str) -> None:
    output = succeeded(server.run_example("get_response", f"{local_site}/first", f"{local_site}/second"))
    assert output.splitlines() == ["page /first", "page /second"]


def test_tell_jokes_makes_nested_calls(server: Server) -> None:
    output = succeeded(server.run_example("tell_jokes"))
    # cowsay draws both animals in the function; their speech bubbles reach the caller as logs.
    assert output.count("||") >= 2 or output.count("\\") >= 2, output
    calls = server.invocations()
    parents = {call["id"]: call for call in calls}
    nested = [call for call in calls if call.get("parentID") in parents]
    assert len(nested) >= 2, calls
    for call in nested[:2]:
        parent = parents[call["parentID"]]
        # Each nested call ran on its own machine type, with its runner's own key, never the caller's.
        assert call["machineType"] == "GPU" and parent["machineType"] == "XS"
        assert call["keyID"] == f"runner:{parent['runnerID']}"
        assert parent["keyID"] == server.key_id


def test_cached_holds_across_warm_calls(server: Server) -> None:
    output = succeeded(server.run_example("behaviours", "cached"))
    assert "results: (3, 1) (3, 2)" in output
    # The second call ran in the same warm process and found the model loaded.
    assert output.count("loading the model") == 1, output


def test_keep_alive_zero_gives_a_fresh_worker(server: Server) -> None:
    assert "fresh processes: True" in succeeded(server.run_example("behaviours", "keep_alive_0"))


def test_submit_fans_out(server: Server) -> None:
    assert "squares: [0, 1, 4, 9, 16, 25]" in succeeded(server.run_example("behaviours", "submit"))


def test_a_raised_exception_is_raised_again_in_the_caller(server: Server) -> None:
    assert "raised: KeyError('no such user: ada')" in succeeded(server.run_example("behaviours", "raises"))


def test_a_crash_names_the_exit_status_and_the_last_lines(server: Server) -> None:
    result = server.run_example("behaviours", "crashes")
    assert result.returncode != 0
    assert "crashed: exited with status 3" in result.stderr
    assert "about to exit" in result.stderr


def test_a_segfault_names_the_signal_and_the_last_lines(server: Server) -> None:
    result = server.run_example("behaviours", "segfaults")
    assert result.returncode != 0
    assert "crashed" in result.stderr and "signal 11" in result.stderr, result.stderr
    assert "about to read address 0" in result.stderr


def test_running_out_of_memory_names_the_machine_types_limit(server: Server) -> None:
    result = server.run_example("behaviours", "eats_memory")
    assert result.returncode != 0
    assert "eats_memory() at " in result.stderr and "behaviours.py" in result.stderr, result.stderr
    assert "used more than the 512 MiB of memory machine type XS allows" in result.stderr, result.stderr


def test_an_unknown_machine_type_lists_the_known_ones(server: Server) -> None:
    result = server.run_example("behaviours", "unknown_machine")
    assert result.returncode != 0
    assert 'no machine type named "XXL"; available: XS, S, GPU, A100' in result.stderr


def test_a_gpu_type_on_a_machine_without_one_fails_at_once_with_the_reason(server: Server) -> None:
    result = server.run_example("behaviours", "needs_a_gpu")
    assert result.returncode != 0
    assert "machine type A100 needs a GPU, and this machine has none" in result.stderr, result.stderr


def test_python_calls_are_counted_in_the_metrics(server: Server) -> None:
    succeeded(server.run_example("get_two"))
    succeeded(server.run_example("get_two"))
    metrics = server.metrics()
    succeeded_calls = int(re.search(r'isolated_calls_total\{outcome="succeeded",runtime="python"\} (\d+)', metrics).group(1))  # type: ignore[union-attr]
    warm_starts = int(re.search(r'isolated_runner_starts_total\{kind="warm"\} (\d+)', metrics).group(1))  # type: ignore[union-attr]
    assert succeeded_calls >= 2 and warm_starts >= 1, metrics
    assert 'isolated_phase_duration_seconds_count{phase="run"}' in metrics


def test_an_uninstallable_requirement_is_named_with_uvs_reason(server: Server) -> None:
    result = server.run_example("behaviours", "uninstallable")
    assert result.returncode != 0
    assert "isolated-no-such-package-xyz" in result.stderr
    assert "cannot install" in result.stderr


def test_python_calls_are_in_the_history_with_their_phases(server: Server) -> None:
    succeeded(server.run_example("behaviours", "raises"))
    succeeded(server.run_example("get_two"))
    calls = server.invocations()
    assert any(call["outcome"] == "succeeded" and call["function"] == "get_two" for call in calls)
    # Each is named as its caller wrote it: the runner reads the name, file and line from the pickle.
    failed = [call for call in calls if call["function"] == "raises"]
    assert failed and failed[0]["outcome"] == "failed" and failed[0]["error"]["remote"]["typeName"] == "KeyError"
    assert failed[0]["file"].endswith("behaviours.py") and failed[0]["line"] > 1
    assert any("run" in [phase["phase"] for phase in call["phases"]] for call in calls)


def test_a_missing_key_is_refused_with_the_http_apis_message(server: Server) -> None:
    result = server.run_example("get_two", FAL_KEY_SECRET="isk_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    assert result.returncode != 0
    assert "the API key is not valid, or has been revoked" in result.stderr


def test_keys_are_made_listed_and_revoked_with_the_clients_own_cli(server: Server) -> None:
    generated = server.fal_cli("key", "generate", "--scope", "API", "--alias", "ci job")
    key_id = re.search(r"FAL_KEY_ID='(\S+)'", generated).group(1)  # type: ignore[union-attr]
    secret = re.search(r"FAL_KEY_SECRET='(\S+)'", generated).group(1)  # type: ignore[union-attr]
    listed = server.fal_cli("key", "list")
    assert key_id in listed and "ci job" in listed and "API" in listed
    # An API key calls functions, and nothing else.
    assert succeeded(server.run_example("get_two", FAL_KEY_ID=key_id, FAL_KEY_SECRET=secret)).strip() == "2"
    refused = server.fal_cli("key", "list", FAL_KEY_ID=key_id, FAL_KEY_SECRET=secret)
    assert "ListUserKeys needs an admin key" in refused and "--scope admin" in refused, refused
    server.fal_cli("key", "revoke", key_id)
    revoked = server.run_example("get_two", FAL_KEY_ID=key_id, FAL_KEY_SECRET=secret)
    assert revoked.returncode != 0 and "the API key is not valid, or has been revoked" in revoked.stderr


def test_workers_are_the_servers_runners(server: Server) -> None:
    succeeded(server.run_example("get_two"))
    listed = server.fal_cli("usage", "workers")
    runner = next(runner for runner in server.runners() if runner["keepAlive"] == 300)
    assert runner["id"] in listed


def test_methods_isolated_does_not_serve_say_what_to_do_instead(server: Server) -> None:
    output = server.fal_cli("secrets", "list")
    assert "ListSecrets is not supported by Isolated: Isolated keeps no secrets" in output, output


def test_tls_serves_calls_and_nested_calls(tls_server: Server) -> None:
    assert succeeded(tls_server.run_example("get_two")).strip() == "2"
    output = succeeded(tls_server.run_example("tell_jokes"))
    assert output.count("||") >= 2 or output.count("\\") >= 2, output
    # Without the certificate among its roots, the client refuses the server.
    refused = tls_server.run_example("get_two", GRPC_DEFAULT_SSL_ROOTS_FILE_PATH="/etc/ssl/certs/ca-certificates.crt")
    assert refused.returncode != 0


def test_plain_grpc_is_refused_off_loopback() -> None:
    result = subprocess.run(
        [str(ISOLATED), "serve", "--host", "0.0.0.0", "--port", "0", "--grpc-port", "0"], capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    assert "plain gRPC is served only on loopback" in result.stderr and "--grpc-tls-cert" in result.stderr
