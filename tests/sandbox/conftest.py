"""Fixtures of the sandbox tests: an in-process sandbox (a fresh database per test) and an
:class:`~tests.sandbox.helpers.Api` over it that checks every answer against specs/.

A module marked ``both_databases`` runs its tests on SQLite (":memory:") and on a real
PostgreSQL server (a throw-away cluster started once per session from the local binaries,
a new database per test); without the binaries the PostgreSQL runs skip, saying why.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dropship_conformance.sandbox import create_app
from dropship_conformance.sandbox.pgcluster import Cluster, find_bin_dir, throwaway_cluster

from .helpers import Api, TestClient

DATABASES = ("sqlite", "postgresql")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "both_databases: run on SQLite and on PostgreSQL (db_location fixture)"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "db_location" in metafunc.fixturenames and metafunc.definition.get_closest_marker(
        "both_databases"
    ):
        metafunc.parametrize("db_location", DATABASES, indirect=True)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.skip(
            "PostgreSQL binaries not found (apt-get install postgresql, or DROPSHIP_PG_BIN)"
        )
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed (pip install -e '.[postgres]')")
    with throwaway_cluster(bin_dir) as cluster:
        yield cluster


@pytest.fixture(scope="session")
def pg_database(pg_cluster: Cluster) -> str:
    """The session's database: emptied before each test, not re-created (CREATE DATABASE per
    test cost about a second each on a loaded 2-core machine)."""
    return pg_cluster.new_database()


@pytest.fixture
def pg_url(pg_database: str) -> str:
    """The session's PostgreSQL database, empty: the first Store on it creates and seeds it."""
    import psycopg

    with psycopg.connect(pg_database, autocommit=True, connect_timeout=10) as conn:
        conn.execute("SET lock_timeout = '20s'")
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            )
        ]
        if tables:
            conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY")
    return pg_database


@pytest.fixture
def db_location(request: pytest.FixtureRequest) -> str:
    """ ":memory:" unless the module runs on both databases and this is the PostgreSQL run."""
    if getattr(request, "param", "sqlite") == "postgresql":
        return request.getfixturevalue("pg_url")
    return ":memory:"


@pytest.fixture
def client(db_location: str) -> Iterator[TestClient]:
    app = create_app(db_location)
    with TestClient(app, raise_server_exceptions=True) as test_client:
        yield test_client
    app.state.store.close()


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client)
