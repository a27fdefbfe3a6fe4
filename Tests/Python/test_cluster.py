"""Python functions on a real Slurm cluster on loopback, through `isolated serve --launcher slurm` and the unmodified client."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

from conftest import Server, cluster_jobs, start_cluster_server
from test_fal_serverless import succeeded


def test_nested_calls_run_as_jobs_on_the_node_their_machine_type_needs(cluster_server: Server) -> None:
    placed = json.loads(succeeded(cluster_server.run_example("on_the_cluster")))
    outer, inner = placed["outer"], placed["inner"]
    assert outer["SLURM_JOB_ID"] and inner["SLURM_JOB_ID"] and outer["SLURM_JOB_ID"] != inner["SLURM_JOB_ID"], placed
    # The GPU type is only on node2, and its job is given the GPU; the outer call ran on the other node.
    assert inner["SLURMD_NODENAME"] == "node2" and inner["CUDA_VISIBLE_DEVICES"] == "0", placed
    assert outer["SLURMD_NODENAME"] == "node1", placed


def wait_for_no_jobs(reason: str) -> None:
    for _ in range(300):
        if not cluster_jobs():
            return
        time.sleep(0.2)
    raise AssertionError(f"jobs still in the queue 60 s after {reason}: {cluster_jobs()}")


def test_no_job_outlives_the_server_terminated_or_killed(tmp_path: Path) -> None:
    for number, stop in enumerate((signal.SIGTERM, signal.SIGKILL)):
        (tmp_path / str(number)).mkdir()
        servers = start_cluster_server(tmp_path / str(number))
        server = next(servers)
        try:
            # Both runners stay warm for 5 minutes: their jobs are in the queue when the server stops.
            placed = json.loads(succeeded(server.run_example("on_the_cluster", "300")))
            jobs = " ".join(cluster_jobs())
            assert placed["outer"]["SLURM_JOB_ID"] in jobs, jobs
            server.process.send_signal(stop)
            server.process.wait(timeout=60)
            wait_for_no_jobs(f"the server got {stop.name}")
        finally:
            servers.close()
