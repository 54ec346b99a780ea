"""Test-wide settings: Qt offscreen, hypothesis profile for CI; no thread or process may
outlive the session."""

import itertools
import os
import shutil
import signal
import sys
import tempfile
import threading
import uuid

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from hypothesis import settings  # noqa: E402

from tests.processes import SESSION_MARK, marked_processes  # noqa: E402

pytest_plugins = ["tests.served"]     # shared fixtures: `served`

settings.register_profile("ci", deadline=None, max_examples=60)
settings.load_profile("ci")


def temporary_root_in_memory(ram: str = "/dev/shm", room: int = 2**30) -> None:
    """The tests' temporary folders (tmp_path) in memory where there is room, unless TMPDIR
    says where: an SQLite commit (WAL, synchronous=FULL) waits ~2 ms for the disk's fsync
    and ~0.05 ms in RAM, and a run on the simulated bench commits every point. No test
    can observe what fsync adds (survival of a power cut), as the PostgreSQL test server
    runs with fsync off; a killed process loses nothing it committed either way."""
    if "TMPDIR" not in os.environ and os.access(ram, os.W_OK) \
            and shutil.disk_usage(ram).free >= room:
        tempfile.tempdir = ram


temporary_root_in_memory()


@pytest.fixture(autouse=True, scope="session")
def no_thread_outlives_the_tests():
    """Servers and workers started by tests must be stopped by them."""
    before = set(threading.enumerate())
    yield
    left = [t.name for t in threading.enumerate()
            if t not in before | apprise_pool_threads() and t.is_alive()]
    assert not left, f"threads left alive after the tests: {left}"


def apprise_pool_threads() -> set[threading.Thread]:
    """The workers of Apprise's process-wide pools: kept for the life of the process by
    design (labctl.notify), joined at exit by concurrent.futures."""
    core, http = sys.modules.get("apprise.apprise"), sys.modules.get("apprise.utils.http")
    pools = (getattr(core, "_shared_executor", None), getattr(core, "_coordinator_executor", None),
             getattr(http, "_DNS_POOL", None))
    return {thread for pool in pools if pool is not None for thread in pool._threads}


@pytest.fixture(autouse=True, scope="session")
def no_process_outlives_the_tests():
    """Every process a test starts inherits the session's mark; any still alive at the end
    is killed (no orphans pile up over runs) and fails the session."""
    mark = os.environ[SESSION_MARK] = uuid.uuid4().hex
    yield
    left = marked_processes(mark)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert not left, f"processes left alive after the tests (killed now): {left}"


@pytest.fixture(autouse=True, scope="session")
def own_lock_dir(tmp_path_factory):
    """Instrument claims (labctl.claims) of the tests, subprocesses included, in a folder
    of their own: a bench a test leaves open cannot refuse another session's pty."""
    os.environ["LABCTL_LOCK_DIR"] = str(tmp_path_factory.mktemp("locks"))


@pytest.fixture(autouse=True, scope="session")
def no_user_config(tmp_path_factory):
    """The developer's own ~/.config/labctl/config.toml (notifications!) is not read."""
    os.environ["LABCTL_CONFIG"] = str(tmp_path_factory.mktemp("config") / "config.toml")


@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL server of the test session (skips without psycopg or server binaries)."""
    pytest.importorskip("psycopg", reason="PostgreSQL tests need psycopg (pip install "
                        "'labctl-ionics[postgresql]')")
    from tests.pgserver import Server, binaries

    bin_dir = binaries()
    if bin_dir is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl) on PATH or in "
                    "/usr/lib/postgresql/*/bin: apt-get install postgresql")
    server = Server(bin_dir)
    try:
        server.start()
        server.admin("CREATE DATABASE lab")
        yield server
    finally:
        server.remove()


_schemas = itertools.count(1)


@pytest.fixture
def pg_url(pg_server):
    """The URL of a new, empty labctl database on the session's PostgreSQL server (a
    schema of its own in database 'lab': 30 ms, where CREATE DATABASE takes 0.5 s)."""
    name = f"lab{next(_schemas)}"
    pg_server.admin(f"CREATE SCHEMA {name}", database="lab")
    return pg_server.url("lab", schema=name)


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request, tmp_path):
    """Where a store is, once per backend: a file, a PostgreSQL URL."""
    if request.param == "sqlite":
        return tmp_path / "lab.sqlite"
    return request.getfixturevalue("pg_url")
