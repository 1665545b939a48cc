"""``saidao ingest --ray``: the same import on a real two-node Ray cluster on 127.0.0.1.

The cluster is started the way an operator starts one (``ray start --head`` and a
second ``ray start --address``), so tasks really cross raylets. Each test compares
the index with a local import of the same files (``tests/index_snapshot.py``).

The cluster is the test's own: its temporary folder (sessions, logs, sockets), its
ports, its authentication token (``RAY_AUTH_TOKEN``, not ``~/.ray/auth_token``), and
each node a ``ray start --block`` in a session of its own. Teardown stops those two
sessions and nothing else: ``ray stop`` cannot be scoped (Ray 2.60 stops every Ray
on the machine, another worktree's run or a user's cluster included), so it is not
used. A node's ``--block`` stops the processes it started when it is terminated;
whatever of its session is left is killed, and the teardown checks none is left.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# Ray reads its authentication mode when it is imported: token authentication, as a
# cluster started with `ray start` uses; the token is the test cluster's own (``cluster``).
os.environ.setdefault("RAY_AUTH_MODE", "token")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

from index_snapshot import differences, snapshot, without_timings  # noqa: E402

from saidao.ingest import bulk  # noqa: E402
from saidao.ingest.bulk import Options, ingest  # noqa: E402
from saidao.settings import ReadSettings  # noqa: E402

ray = pytest.importorskip("ray", reason="Ray is a dev dependency: pip install -e '.[dev]'")

pytestmark = pytest.mark.ray

FIXTURES = Path(__file__).parent / "fixtures"
DECL = FIXTURES / "declarations"
#: Born-digital declarations in three formats and two policies: quick to read, no OCR.
QUICK = [DECL / f"decl_{i:03d}.docx" for i in range(1, 9)] + [
    DECL / "decl_023.pdf", DECL / "decl_024.pdf",
    FIXTURES / "policies" / "000_85343553a506e6d7.docx",
    FIXTURES / "policies" / "003_c4eb0391d8a3dfe8.pdf",
]
#: A scan: its OCR takes seconds, long enough to kill the worker reading it.
SCAN = DECL / "decl_044.png"
CLI = "from saidao.cli import main; main()"
#: What the import gives the pool (``ingest.bulk.make_pool``).
POOL = {"run": bulk.work, "error_payload": bulk._error_payload, "init_worker": bulk._init_worker}
RAY = str(Path(sys.executable).with_name("ray"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _session_of(pid: int) -> int | None:
    """A process's session id (``/proc/PID/stat``, field 6), None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rpartition(")")[2].split()[3])


def _processes_in(sessions: set[int]) -> list[int]:
    """Live processes of these sessions (zombies, already dead, left out)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _session_of(int(entry.name)) in sessions:
            try:
                state = (entry / "stat").read_text().rpartition(")")[2].split()[0]
            except OSError:
                continue
            if state != "Z":
                out.append(int(entry.name))
    return out


@dataclass
class Cluster:
    """The test's own Ray cluster: the address to join and the sessions its nodes run in."""

    address: str
    temp_dir: Path
    nodes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def sessions(self) -> set[int]:
        return {node.pid for node in self.nodes}  # each node leads a session of its own

    def start_node(self, *args: str, env: dict[str, str]) -> None:
        """``ray start --block ARGS`` in a new session; returns once the node is up."""
        log = self.temp_dir / f"node{len(self.nodes)}.log"
        with open(log, "wb") as out:
            node = subprocess.Popen([RAY, "start", "--block", "--log-style=record", *args],
                                    env=env, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        self.nodes.append(node)
        deadline = time.monotonic() + 180
        while "Ray runtime started" not in log.read_text(errors="replace"):
            if node.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"ray start failed: {log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)

    def stop(self) -> list[int]:
        """Stop this cluster's processes, and only them; returns any that would not go."""
        sessions = self.sessions
        for node in reversed(self.nodes):  # the second node first, then the head
            if node.poll() is None:
                node.terminate()  # --block: the node stops the processes it started
                try:
                    node.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    node.kill()
                    node.wait(timeout=30)
        deadline = time.monotonic() + 30
        while (left := _processes_in(sessions)) and time.monotonic() < deadline:
            for pid in left:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.2)
        return _processes_in(sessions)


def _client_port() -> list[str]:
    """A port of its own for Ray Client's server, which runs (on 10001) only when Ray Client's
    dependency (grpc, ``ray[client]``) is installed; without it Ray refuses the option."""
    import importlib.util

    return [f"--ray-client-server-port={_free_port()}"] if importlib.util.find_spec("grpc") else []


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    """A head and a second node, one CPU each, private to this module (see the docstring)."""
    temp_dir = Path(tempfile.mkdtemp(prefix="sdray-"))  # short: Ray's socket paths must fit
    port = _free_port()
    found = Cluster(f"127.0.0.1:{port}", temp_dir)
    token = {"RAY_AUTH_TOKEN": uuid.uuid4().hex}
    env = {**os.environ, **token}
    common = ["--num-cpus=1", "--node-ip-address=127.0.0.1", "--disable-usage-stats",
              f"--temp-dir={temp_dir}"]

    def own_ports() -> list[str]:
        return [f"--{name}={_free_port()}" for name in (
            "node-manager-port", "object-manager-port", "dashboard-agent-listen-port",
            "dashboard-agent-grpc-port", "runtime-env-agent-port", "metrics-export-port")]

    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(os.environ, "RAY_AUTH_TOKEN", token["RAY_AUTH_TOKEN"])  # this driver's
        try:
            found.start_node("--head", f"--port={port}", "--include-dashboard=false",
                             *_client_port(), *own_ports(), *common, env=env)
            found.start_node(f"--address={found.address}", *own_ports(), *common, env=env)
            yield found
        finally:
            left = found.stop()
            shutil.rmtree(temp_dir, ignore_errors=True)
            assert left == [], f"Ray processes of the test's cluster still running: {left}"


def _folder(tmp_path: Path, files: list[Path], name: str = "in") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    for f in files:
        shutil.copy(f, folder / f.name)
    return folder


def _ray_import(folder: Path, db: Path, address: str, ocr: bool = False) -> dict:
    summary = ingest([folder], db, Options(ray=address, settings=ReadSettings(ocr=ocr)))
    return summary.to_dict()


def test_a_ray_import_records_the_index_a_local_import_records(
    cluster: Cluster, tmp_path: Path,
) -> None:
    folder = _folder(tmp_path, QUICK)
    local, remote = tmp_path / "local.db", tmp_path / "ray.db"
    ingest([folder], local, Options(workers=2, settings=ReadSettings(ocr=False)))
    from saidao.ingest import ray_pool

    pool = ray_pool.RayPool(cluster.address, 600.0, **POOL)
    with pool:
        assert len(ray.nodes()) == 2 and pool.cpus == 2
    summary = _ray_import(folder, remote, cluster.address)
    assert summary["counts"]["imported"] == len(QUICK) and summary["counts"]["failed"] == 0
    first, second = snapshot(local), snapshot(remote)
    assert len(first["tracks"]) == 10 and len(first["clauses"]) >= 40 and first["links"]
    assert differences(first, second) == {}


def test_a_bare_ray_starts_its_own_runtime_even_beside_a_cluster(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``--ray`` alone (``local``) is a throw-away runtime on this machine: it joins neither
    ``RAY_ADDRESS`` nor the latest ``ray start`` here (Ray's default without an address)."""
    from saidao.ingest.ray_pool import LOCAL, RayPool

    monkeypatch.setenv("RAY_ADDRESS", cluster.address)
    monkeypatch.setenv("RAY_TMPDIR", str(cluster.temp_dir))  # its files in the test's folder
    with RayPool(LOCAL, 600.0, num_cpus=1, **POOL) as pool:
        assert len(ray.nodes()) == 1 and pool.cpus == 1  # its own node, not the cluster's two
        [(_, payload)] = list(pool.results(iter([(0, (str(QUICK[0]), str(QUICK[0]), None,
                                                      ReadSettings(ocr=False), 600.0, ""))])))
    assert payload["error"] is None and payload["result"]["kind"] == "declaration"


def test_tasks_cross_raylets(cluster: Cluster, tmp_path: Path) -> None:
    from saidao.ingest.ray_pool import RayPool

    # the scan's OCR holds one node's only CPU for seconds, so the quick files after it
    # must run on the other node (quick files alone may all fit on the first one)
    jobs = ((n, (str(f), str(f), None, ReadSettings(ocr=f == SCAN), 600.0, ""))
            for n, f in enumerate([SCAN, *QUICK]))
    with RayPool(cluster.address, 600.0, **POOL) as pool:
        for _, payload in pool.results(jobs):
            assert payload["error"] is None
        nodes = {n["NodeID"] for n in ray.nodes() if n["Alive"]}
    assert len(nodes) == 2
    assert pool.nodes_used == nodes  # every node of the cluster read files


@pytest.mark.slow  # OCR of three pages, twice
def test_a_long_scan_is_read_one_task_per_page_and_reassembled_in_order(
    cluster: Cluster, tmp_path: Path,
) -> None:
    from saidao.ingest.bulk import work
    from saidao.ingest.ray_pool import RayPool

    scan = str(DECL / "decl_038.pdf")  # three scanned pages, no text layer
    args = (scan, scan, None, ReadSettings(), 600.0, "")
    with RayPool(cluster.address, 600.0, **POOL) as pool:
        [(_, payload)] = list(pool.results(iter([(0, args)])))
    assert payload["error"] is None and payload["ocr_pages"] == 3
    assert pool.page_tasks == 3  # each page its own task
    here = work(*args)
    assert without_timings(payload["result"]) == without_timings(here["result"])


def _worker_pids(cluster: Cluster, reading: str = "") -> list[int]:
    """Processes of the test cluster's Ray workers running saidao's task now (on the file
    ``reading``); another Ray's workers on the machine are never touched."""
    out = []
    for pid in _processes_in(cluster.sessions):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"ray::_run_remote" in cmd and reading.encode() in cmd:
            out.append(pid)
    return out


def _cli_ingest(folder: Path, db: Path, cluster: Cluster, *options: str,
                output: int = subprocess.PIPE) -> subprocess.Popen:
    """``saidao ingest FOLDER --db DB OPTIONS --ray ADDRESS`` as a user runs it, in a session
    of its own (a test may kill it)."""
    return subprocess.Popen(
        [sys.executable, "-c", CLI, "ingest", str(folder), "--db", str(db), *options,
         "--ray", cluster.address],
        stdout=output, stderr=output, start_new_session=True,
    )


def test_a_killed_worker_is_retried_and_every_file_is_accounted_for(
    cluster: Cluster, tmp_path: Path,
) -> None:
    folder = _folder(tmp_path, [SCAN, *QUICK[:3]])
    db = tmp_path / "ray.db"
    proc = _cli_ingest(folder, db, cluster, "--json")
    killed = 0
    deadline = time.monotonic() + 120
    while not killed and proc.poll() is None and time.monotonic() < deadline:
        for pid in _worker_pids(cluster, reading=SCAN.name):
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                continue
            break
        time.sleep(0.1)
    out, errors = proc.communicate(timeout=600)
    assert killed == 1, "no Ray worker was caught running a task"
    assert out, errors.decode(errors="replace")[-3000:]
    summary = json.loads(out)
    assert summary["total"] == 4
    assert summary["counts"]["imported"] + summary["counts"]["failed"] == summary["total"]
    assert summary["counts"]["failed"] == 0  # the killed task was retried by Ray and imported
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM files").fetchone()[0] == summary["total"]


def test_a_file_that_kills_its_worker_twice_is_recorded_as_failed_and_the_run_goes_on(
    cluster: Cluster, tmp_path: Path,
) -> None:
    folder = _folder(tmp_path, [SCAN, *QUICK[:2]])
    db = tmp_path / "ray.db"
    proc = _cli_ingest(folder, db, cluster, "--json")
    killed: list[int] = []
    deadline = time.monotonic() + 180
    while len(killed) < 2 and proc.poll() is None and time.monotonic() < deadline:
        for pid in set(_worker_pids(cluster, reading=SCAN.name)) - set(killed):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
        time.sleep(0.1)
    out, errors = proc.communicate(timeout=600)
    assert len(killed) == 2, errors.decode(errors="replace")[-2000:]
    summary = json.loads(out)
    outcomes = {Path(f["path"]).name: (f["outcome"], f["reason"]) for f in summary["files"]}
    assert outcomes[SCAN.name] == ("failed", "worker_crashed")
    assert all(outcomes[f.name] == ("imported", None) for f in QUICK[:2])
    assert proc.returncode == 1  # some inputs failed


def test_killing_the_parent_then_rerunning_loses_and_doubles_nothing(
    cluster: Cluster, tmp_path: Path,
) -> None:
    folder = _folder(tmp_path, QUICK)
    db = tmp_path / "killed.db"
    proc = _cli_ingest(folder, db, cluster, "--no-ocr", output=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            with sqlite3.connect(db) as conn:
                if conn.execute("SELECT count(*) FROM files").fetchone()[0] >= 3:
                    break
        except sqlite3.Error:
            pass
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with sqlite3.connect(db) as conn:
        interrupted = conn.execute("SELECT count(*) FROM files").fetchone()[0]
    assert 0 < interrupted < len(QUICK), "the run was not interrupted mid-way"

    _ray_import(folder, db, cluster.address)
    clean = tmp_path / "clean.db"
    ingest([folder], clean, Options(workers=2, settings=ReadSettings(ocr=False)))
    with sqlite3.connect(db) as conn:
        twice = conn.execute(
            "SELECT count(*) FROM (SELECT sha256 FROM import_log WHERE outcome = 'imported' "
            "GROUP BY sha256 HAVING count(*) > 1)").fetchone()[0]
    assert twice == 0
    assert differences(snapshot(clean), snapshot(db)) == {}


def test_without_ray_installed_the_message_says_how_to_install(monkeypatch) -> None:
    from saidao.errors import SaidaoError
    from saidao.ingest import ray_pool

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now fails
    with pytest.raises(SaidaoError) as caught:
        ray_pool._ray()
    assert caught.value.reason == "ray_missing"
    assert "pip install 'saidao[ray]'" in caught.value.message_zh
