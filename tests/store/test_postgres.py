"""The PostgreSQL backend: the schema rendered from the one description, its version and
migrations, what it refuses, and `--db URL` / LABCTL_DB on the command line."""

from __future__ import annotations

import pytest

from labctl.cli import main
from labctl.errors import StoreError
from labctl.store import Store
from labctl.store.postgres import Connection, migrate
from labctl.store.schema import MIGRATIONS, SCHEMA_VERSION

psycopg = pytest.importorskip("psycopg", reason="PostgreSQL tests need psycopg")


def test_a_new_database_gets_the_current_schema_with_the_schemas_column_names(pg_url):
    with Store.open(pg_url) as store:
        assert store._conn.execute("SELECT version FROM labctl_schema").fetchone() == (
            SCHEMA_VERSION,)
        run = store.create_run("r", "", {"bench": "benches/bench-b.toml"}, {})
        step = store.start_step(run, "eis", {}, temperature_K=300.0)
        (read,) = store.steps(run)
        assert (read.id, read.temperature_K, read.points) == (step, 300.0, 0)
        assert store.run(run).bench_name == "bench-b"


def test_a_version_3_database_migrates_and_its_views_show_the_new_columns(pg_url):
    raw = psycopg.connect(pg_url, autocommit=True)
    migrate(Connection(raw), MIGRATIONS[:3], pg_url)
    raw.execute("INSERT INTO runs (uuid, name, status, started_utc, operator, sample_json, "
                "recipe_text, bench_json, software, owner) VALUES ('u', 'old', 'done', 't', "
                "'', '{}', '', '{}', 'labctl 0.1', 'h - 1')")
    raw.close()
    with Store.open(pg_url) as store:
        (run,) = store.runs()
        assert (run.name, run.bench_host, run.bench_name) == ("old", None, None)
        new = store.create_run("new", "", {"bench": "a.toml"}, {})
        assert store.run(new).bench_name == "a"


def test_a_newer_schema_is_refused(pg_url):
    Store.open(pg_url).close()
    with psycopg.connect(pg_url, autocommit=True) as raw:
        raw.execute("UPDATE labctl_schema SET version = version + 1")
    with pytest.raises(StoreError, match="newer than this labctl understands"):
        Store.open(pg_url)


def test_a_database_of_another_program_is_refused_and_left_alone(pg_url):
    with psycopg.connect(pg_url, autocommit=True) as raw:
        raw.execute("CREATE TABLE invoices (id INTEGER)")
    with pytest.raises(StoreError, match="a PostgreSQL database, but not a labctl store"):
        Store.open(pg_url)
    with psycopg.connect(pg_url, autocommit=True) as raw:
        tables = raw.execute("SELECT tablename FROM pg_tables "
                             "WHERE schemaname = current_schema()").fetchall()
    assert tables == [("invoices",)]


def test_a_reader_does_not_create_a_store(pg_url):
    with pytest.raises(StoreError, match="holds no labctl store yet"):
        Store.open(pg_url, create=False)


def test_an_unreachable_server_is_a_store_error_naming_the_url():
    url = "postgresql://nobody@127.0.0.1:1/lab"
    with pytest.raises(StoreError, match="127.0.0.1:1/lab: cannot connect"):
        Store.open(url)


def test_runs_lists_a_postgresql_store_from_db_and_from_labctl_db(pg_url, monkeypatch, capsys):
    with Store.open(pg_url) as store:
        store.create_run("YSZ on the server", "", {"bench": "bench-a.toml"}, {})
    assert main(["runs", "--db", pg_url]) == 0
    assert "YSZ on the server" in capsys.readouterr().out
    monkeypatch.setenv("LABCTL_DB", pg_url)
    assert main(["runs"]) == 0
    assert "YSZ on the server" in capsys.readouterr().out
