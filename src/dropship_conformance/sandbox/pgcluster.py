"""A throw-away PostgreSQL server in a temporary folder, for the tests and the benchmarks.

It runs the local PostgreSQL binaries (Debian's ``postgresql`` package puts them under
``/usr/lib/postgresql/<version>/bin``; ``DROPSHIP_PG_BIN`` names another folder). The server
refuses to run as root, so under root every command runs as the ``postgres`` user. Nothing
is mocked: without the binaries :func:`find_bin_dir` answers None and the callers skip.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

START_TIMEOUT = 60
STOP_TIMEOUT = 30


def find_bin_dir() -> Path | None:
    """The folder holding initdb and pg_ctl, or None when PostgreSQL is not installed."""
    configured = os.environ.get("DROPSHIP_PG_BIN")
    candidates = [configured] if configured else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(str(Path(on_path).parent))
    for folder in candidates:
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Cluster:
    """A running throw-away server; :meth:`new_database` hands out empty databases."""

    def __init__(self, root: Path, port: int) -> None:
        self.root = root
        self.port = port
        self.url = f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def url_of(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A new empty database; returns its URL."""
        import psycopg

        name = f"sandbox_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url, autocommit=True, connect_timeout=10) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url_of(name)

    def drop_database(self, url: str) -> None:
        import psycopg

        name = url.rsplit("/", 1)[1]
        with psycopg.connect(self.url, autocommit=True, connect_timeout=10) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextlib.contextmanager
def throwaway_cluster(bin_dir: Path, *, durable: bool = False) -> Iterator[Cluster]:
    """initdb + start a server on a free loopback port; stopped and deleted on exit.

    ``durable`` False turns fsync off: the tests kill sandbox processes, never the server,
    and a committed transaction survives that without fsync.
    """
    root = Path(tempfile.mkdtemp(prefix="dropship-pg-"))
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_postgres:
        shutil.chown(root, "postgres")
    data = root / "data"
    port = _free_port()
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=200"
    if not durable:
        options += " -c fsync=off -c full_page_writes=off"
    run = [*as_postgres, str(bin_dir / "pg_ctl"), "-D", str(data)]
    try:
        subprocess.run(
            [*as_postgres, str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U",
             "postgres", "-E", "UTF8", "--no-sync"],
            check=True, capture_output=True, timeout=START_TIMEOUT,
        )  # fmt: skip
        subprocess.run(
            [*run, "-o", options, "-l", str(root / "server.log"), "-w", "-t",
             str(START_TIMEOUT), "start"],
            check=True, capture_output=True, timeout=START_TIMEOUT + 10,
        )  # fmt: skip
        yield Cluster(root, port)
    finally:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            subprocess.run(
                [*run, "-m", "immediate", "-w", "-t", str(STOP_TIMEOUT), "stop"],
                capture_output=True,
                timeout=STOP_TIMEOUT + 10,
            )
        shutil.rmtree(root, ignore_errors=True)
