"""Notifications of unattended runs: through Apprise to a real HTTP endpoint on loopback
(Apprise's `json://` service), from the runner's events and from `labctl run`."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from labctl import events as ev
from labctl.cli import main
from labctl.configfile import Problems
from labctl.errors import ConfigError
from labctl.notify import Notifier, NotifySettings, notifier_for, parse_settings
from tests.runner.toy_protocols import plateau_recipe

TIMEOUT = 60.0


@pytest.fixture
def endpoint():
    """A JSON endpoint on loopback that keeps what Apprise posts (`.received`)."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"path": self.path, **json.loads(body)})
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, name="test-notify-endpoint")
    thread.start()
    server.received = received
    server.url = f"json://127.0.0.1:{server.server_address[1]}/lab"
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def settings(url, **kwargs):
    return NotifySettings((url,), **{"min_interval_s": 0.0, "disk_free_min_GB": 0.0, **kwargs})


def test_a_run_notifies_each_plateau_once_and_its_end(make_runner, db, endpoint):
    runner = make_runner(plateau_recipe(573.15, 623.15, readings=5))
    with Notifier(settings(endpoint.url), db) as notifier:
        runner.subscribe(notifier)
        assert runner.start().result(TIMEOUT) == "done"
    titles = [m["title"] for m in endpoint.received]
    name = f"labctl run {runner.run_id} 'toy plateaus'"
    assert titles == [f"{name}: 300 °C reached", f"{name}: 350 °C reached", f"{name} done"]
    assert {m["path"] for m in endpoint.received} == {"/lab"}


def test_a_run_that_did_not_end_done_says_why(make_runner, db, endpoint):
    runner = make_runner(plateau_recipe(573.15, readings=5))

    def stop_in_the_sweep(event):
        if isinstance(event, ev.MeasurementStarted) and event.kind == "eis":
            runner.stop("heater relay tripped")
    runner.subscribe(stop_in_the_sweep)
    with Notifier(settings(endpoint.url, events=frozenset({"failed"})), db) as notifier:
        runner.subscribe(notifier)
        assert runner.start().result(TIMEOUT) == "aborted"
    [message] = endpoint.received
    assert message["title"].endswith(" aborted")
    assert "heater relay tripped" in message["message"]


def test_messages_of_a_kind_are_held_back_within_the_interval_and_counted(tmp_path, endpoint):
    now = [0.0]
    with Notifier(settings(endpoint.url, min_interval_s=600.0), tmp_path / "db",
                  clock=lambda: now[0]) as notifier:
        for t in (0.0, 10.0, 20.0, 700.0):
            now[0] = t
            notifier(ev.StateChanged("paused", f"interlock at {t:g} s"))
        notifier(ev.RunFinished(1, "done"))          # another kind: not held back
    bodies = [m["message"] for m in endpoint.received]
    assert len(bodies) == 3
    assert "interlock at 0 s" in bodies[0] and "held back" not in bodies[0]
    assert "interlock at 700 s" in bodies[1] and "2 earlier message(s)" in bodies[1]
    assert "ended done" in bodies[2]


def test_a_nearly_full_disk_is_told(tmp_path, endpoint):
    with Notifier(settings(endpoint.url, disk_free_min_GB=1e9), tmp_path / "lab.sqlite") as n:
        n(ev.LogMessage(None, "info", "anything"))
    [message] = endpoint.received
    assert message["title"] == "labctl: disk nearly full"
    assert "GB free on the disk of" in message["message"]


def test_a_dead_notification_service_never_disturbs_the_run(make_runner, db, capfd):
    runner = make_runner(plateau_recipe(573.15, readings=5))
    with Notifier(settings("json://127.0.0.1:9/nobody"), db) as notifier:   # discard port
        runner.subscribe(notifier)
        assert runner.start().result(TIMEOUT) == "done"
    assert "labctl: notification not delivered" in capfd.readouterr().err


def test_labctl_run_notifies_from_the_users_config_and_keeps_the_secret_out_of_the_store(
        tmp_path, monkeypatch, endpoint):
    secret = "s3cret-Token"
    config = tmp_path / "config.toml"
    config.write_text(f'[notify]\nurls = ["{endpoint.url.replace("json://", f"json://lab:{secret}@")}"]\n'
                      'events = ["done"]\n')
    monkeypatch.setenv("LABCTL_CONFIG", str(config))
    db = tmp_path / "lab.sqlite"
    recipe = tmp_path / "r.toml"
    recipe.write_text('[sample]\nname = "YSZ-1"\n[[steps]]\nprotocol = "eis"\nstart_Hz = 1e5\nstop_Hz = 100\n')
    assert main(["run", str(recipe), "--bench", "sim", "--db", str(db)]) == 0
    [message] = endpoint.received
    assert message["title"].endswith(" done")
    assert not any(secret.encode() in p.read_bytes() for p in tmp_path.glob("lab.sqlite*"))


@pytest.mark.parametrize("table, field", [
    ('urls = ["nosuchservice://x"]', "notify.urls"),
    ('urls = []', "notify.urls"),
    ('urls = ["json://localhost"]\nevents = ["done", "tea"]', "notify.events"),
    ('urls = ["json://localhost"]\nmin_interval_s = -1', "notify.min_interval_s"),
    ('urls = ["json://localhost"]\nwebhook = "x"', "notify.webhook"),
])
def test_a_wrong_notify_table_names_file_line_and_field(tmp_path, monkeypatch, table, field):
    config = tmp_path / "config.toml"
    config.write_text(f"# mine\n[notify]\n{table}\n")
    monkeypatch.setenv("LABCTL_CONFIG", str(config))
    with pytest.raises(ConfigError) as caught:
        notifier_for(tmp_path / "lab.sqlite")
    assert caught.value.file == str(config) and caught.value.field == field
    assert caught.value.line is not None and caught.value.line >= 2


def test_no_notify_table_no_notifier_and_unknown_tables_are_refused(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    monkeypatch.setenv("LABCTL_CONFIG", str(config))
    assert notifier_for(tmp_path / "lab.sqlite") is None           # no file at all
    config.write_text("[notfy]\nurls = []\n")
    with pytest.raises(ConfigError, match="unknown table") as caught:
        notifier_for(tmp_path / "lab.sqlite")
    assert caught.value.line == 1


def test_parse_settings_defaults(tmp_path):
    problems = Problems("c.toml", "")
    parsed = parse_settings({"urls": ["ntfy://ntfy.sh/furnace"]}, problems)
    assert not problems.items
    assert parsed.events == {"done", "failed", "paused", "plateau", "disk"}
    assert parsed.min_interval_s == 600.0 and parsed.disk_free_min_GB == 2.0


def test_for_a_lab_server_the_disk_watched_is_the_local_spools(tmp_path, monkeypatch, endpoint):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    with Notifier(settings(endpoint.url, disk_free_min_GB=1e9), "postgresql://lab@db-host/lab") as n:
        assert n.db_path.is_relative_to(tmp_path)
        n(ev.LogMessage(None, "info", "anything"))
    [message] = endpoint.received
    assert f"on the disk of {tmp_path}" in message["message"]
