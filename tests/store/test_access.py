"""Access to a lab's PostgreSQL store: passwords only from libpq's places (never from the
URL, so never in a message, a log or the store), and a read-only role that can browse
and export but not write."""

from __future__ import annotations

import itertools
import logging

import pytest

from labctl.cli import main
from labctl.errors import StoreError
from labctl.store import Store
from tests.store.conftest import fill

SECRET = "s3cret-Pa55"
_roles = itertools.count(1)


@pytest.fixture
def lab(pg_server, pg_url):
    """A store holding the `filled` run (1) and a running run (2); its schema name."""
    with Store.open(pg_url) as store:
        fill(store)
        store.create_run("still running", "", {}, {})
    return pg_url.rpartition("%3D")[2]


def role(pg_server, schema: str, *grants: str, password: str | None = None) -> str:
    """A new login role with `grants` on the tables (and, for INSERT, the sequences: step
    ids reserved for offline steps) of `schema`."""
    name = f"{schema}_user{next(_roles)}"
    with_password = f" PASSWORD '{password}'" if password else ""
    pg_server.admin(f"CREATE ROLE {name} LOGIN{with_password}",
                    f"GRANT USAGE ON SCHEMA {schema} TO {name}",
                    *(f"GRANT {g} ON ALL TABLES IN SCHEMA {schema} TO {name}" for g in grants),
                    *([f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {name}"]
                      if "INSERT" in grants else []),
                    database="lab")
    return name


def test_the_password_comes_from_pgpassfile_and_a_url_with_one_is_refused_unlogged(
        pg_server, lab, tmp_path, monkeypatch, capsys, caplog):
    user = role(pg_server, lab, "SELECT", "INSERT", "UPDATE", password=SECRET)
    url = pg_server.tcp_url("lab", user, schema=lab)
    with pytest.raises(StoreError, match="cannot connect"):   # no password anywhere yet
        Store.open(url).close()
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"127.0.0.1:{pg_server.port}:lab:{user}:{SECRET}\n")
    passfile.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    with Store.open(url) as store:
        run = store.create_run("over TCP", "recipe", {"bench": "bench-a.toml"}, {})
        store.log_event(run, "info", f"store at {store.path}")
        stored = " ".join(str(v) for r in store.runs() for v in vars(r).values())
        stored += " ".join(e.message for e in store.events(run))
    assert "over TCP" in stored and SECRET not in stored

    caplog.set_level(logging.DEBUG)
    with_password = url.replace(f"{user}@", f"{user}:{SECRET}@")
    with pytest.raises(StoreError, match="password in the database URL is refused") as refused:
        Store.open(with_password)
    assert main(["runs", "--db", with_password]) == 1
    shown = capsys.readouterr()
    assert "password in the database URL is refused" in shown.err
    assert SECRET not in str(refused.value) + shown.out + shown.err + caplog.text


def test_a_read_only_role_browses_and_exports_but_cannot_write(pg_server, lab, tmp_path,
                                                               capsys):
    reader = pg_server.url("lab", role(pg_server, lab, "SELECT"), schema=lab)
    assert main(["runs", "--db", reader]) == 0
    assert "YSZ 8 mol%" in capsys.readouterr().out
    assert main(["export", "1", "--db", reader, "--out", str(tmp_path / "out")]) == 0
    assert len(list((tmp_path / "out").glob("*.csv"))) == 3
    with Store.open(reader, create=False) as store:
        assert store.run(1).points == 41
        with pytest.raises(StoreError, match="permission denied"):
            store.create_run("not allowed", "", {}, {})
        with pytest.raises(StoreError, match="permission denied"):
            store.log_event(1, "info", "not allowed")
        assert len(store.runs()) == 2 and len(store.events(1)) == 2
    capsys.readouterr()
    assert main(["abort", "2", "--db", reader]) == 1
    assert "permission denied" in capsys.readouterr().err
