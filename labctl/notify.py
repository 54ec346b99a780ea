"""Notifications for unattended runs, through Apprise (e-mail, Matrix, Slack, Teams, ntfy...).

The user's config file (`labctl.userconfig`), never a recipe, says where they go:

```toml
[notify]
urls = ["ntfy://ntfy.sh/my-furnace", "mailto://user@example.org"]   # Apprise URLs
events = ["done", "failed", "paused", "plateau", "disk"]            # default: all of them
min_interval_s = 600          # at most one message of a kind per interval (default 600)
disk_free_min_GB = 2.0        # "disk nearly full" below this, on the database's disk
```
Secrets in the URLs stay in the user's file: they are not stored with runs or logged.

A `Notifier` is a runner subscriber. It returns at once (acquisition never waits): the
messages go out on a thread of their own, and a failed or slow notification service only
writes a line to stderr. Messages of a kind that come sooner than `min_interval_s` after
the last one of that kind are counted and mentioned in the next one of that kind.
"""

from __future__ import annotations

import queue
import shutil
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable


from labctl import events as ev
from labctl.configfile import Problems, is_number, unknown
from labctl.errors import ConfigError
from labctl.store.postgres import is_url
from labctl.store.spool import spool_path
from labctl.userconfig import config_path, user_config
from labctl.units import K_to_C

KINDS = ("done", "failed", "paused", "plateau", "disk")
KEYS = {"urls", "events", "min_interval_s", "disk_free_min_GB"}
DISK_CHECK_S = 60.0               # real seconds between looks at the free disk space


@dataclass(frozen=True)
class NotifySettings:
    urls: tuple[str, ...]
    events: frozenset[str] = frozenset(KINDS)
    min_interval_s: float = 600.0
    disk_free_min_GB: float = 2.0


def parse_settings(table: Any, problems: Problems) -> NotifySettings | None:
    """The `[notify]` table of the user's config (problems with line and field)."""
    if not isinstance(table, dict):
        problems.add("must be a table", "notify")
        return None
    for key in unknown(table, KEYS):
        problems.add(f"unknown key (known: {', '.join(sorted(KEYS))})", "notify", key)
    urls = table.get("urls", [])
    if not (isinstance(urls, list) and urls and all(isinstance(u, str) for u in urls)):
        problems.add("must be a non-empty list of Apprise URLs", "notify", "urls")
    else:
        for url in urls:
            if not _service().add(url):
                scheme = url.partition("://")[0] or url[:20]
                problems.add(f"not a notification URL Apprise knows ({scheme}://...)",
                             "notify", "urls")
    events = table.get("events", list(KINDS))
    if not (isinstance(events, list) and set(events) <= set(KINDS)):
        problems.add(f"must be a list of {', '.join(KINDS)}", "notify", "events")
    numbers = {}
    for key, default in (("min_interval_s", 600.0), ("disk_free_min_GB", 2.0)):
        value = table.get(key, default)
        if not is_number(value) or value < 0:
            problems.add("must be a number >= 0", "notify", key)
        numbers[key] = value
    if problems.items:
        return None
    return NotifySettings(tuple(urls), frozenset(events), float(numbers["min_interval_s"]),
                          float(numbers["disk_free_min_GB"]))


def notifier_for(db_path: Path | str) -> "Notifier | None":
    """A Notifier from the user's config file, None if it has no `[notify]` table
    (ConfigError naming file, line and field if that table is wrong)."""
    data, problems = user_config()
    settings = parse_settings(data["notify"], problems) if "notify" in data else None
    problems.raise_if_any()
    return settings and Notifier(settings, db_path)


def _service() -> Any:
    try:
        import apprise              # only when notifications are configured
    except ImportError:
        raise ConfigError("[notify] needs Apprise: pip install 'labctl-ionics[notify]'",
                          file=str(config_path())) from None
    return apprise.Apprise()


class Notifier:
    """Turns run events into notifications (see the module doc)."""

    def __init__(self, settings: NotifySettings, db_path: Path | str,
                 send: Callable[[str, str], bool] | None = None,
                 clock: Callable[[], float] = time.monotonic):
        """`db_path`: a database file, or a lab server's URL (then the disk watched is the
        one of its local spool, where a run writes while the server is away)."""
        self.settings, self._clock = settings, clock
        self.db_path = spool_path(db_path) if is_url(db_path) else Path(db_path)
        self._send = send or self._apprise(settings.urls)
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}
        self._run: tuple[int, str] | None = None
        self._plateaus_seen: set[float] = set()
        self._plateau_of: dict[str, float] = {}
        self._disk_checked = -DISK_CHECK_S
        self._outbox: queue.Queue[tuple[str, str] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._deliver, name="labctl-notify", daemon=True)
        self._thread.start()

    @staticmethod
    def _apprise(urls: tuple[str, ...]) -> Callable[[str, str], bool]:
        service = _service()
        for url in urls:
            service.add(url)
        return lambda title, body: bool(service.notify(title=title, body=body))

    # -- the subscriber -----------------------------------------------------------------
    def __call__(self, event: ev.Event) -> None:
        if isinstance(event, ev.RunStarted):
            self._run = (event.run_id, event.name)
        elif isinstance(event, ev.RunFinished):
            kind = "done" if event.status == "done" else "failed"
            why = f": {event.reason}" if event.reason else ""
            self._notify(kind, f"{self._name()} {event.status}", f"The run ended {event.status}{why}.")
        elif isinstance(event, ev.StateChanged) and event.state == "paused":
            why = event.reason or "no reason given"
            self._notify("paused", f"{self._name()} paused", f"Paused: {why}. It waits for resume.")
        elif isinstance(event, ev.StepStarted) and event.temperature_K is not None:
            self._plateau_of[event.path] = event.temperature_K
        elif isinstance(event, ev.StepFinished) and event.status == "done":
            self._plateau(event.path)
        self._check_disk()

    def _plateau(self, path: str) -> None:
        """The first step done at a new plateau: the sample is there (and stable)."""
        temperature_K = self._plateau_of.pop(path, None)
        if temperature_K is None or temperature_K in self._plateaus_seen:
            return
        self._plateaus_seen.add(temperature_K)
        self._notify("plateau", f"{self._name()}: {K_to_C(temperature_K):g} °C reached",
                     f"The first step at {K_to_C(temperature_K):g} °C is done.")

    def _check_disk(self) -> None:
        now = self._clock()
        if now - self._disk_checked < DISK_CHECK_S:
            return
        self._disk_checked = now
        folder = next((p for p in (self.db_path, *self.db_path.parents) if p.exists()), Path("."))
        free_GB = shutil.disk_usage(folder).free / 1e9
        if free_GB < self.settings.disk_free_min_GB:
            self._notify("disk", f"{self._name()}: disk nearly full",
                         f"{free_GB:.2f} GB free on the disk of {self.db_path} "
                         f"(warning below {self.settings.disk_free_min_GB:g} GB).")

    def _name(self) -> str:
        return f"labctl run {self._run[0]} '{self._run[1]}'" if self._run else "labctl"

    def _notify(self, kind: str, title: str, body: str) -> None:
        if kind not in self.settings.events:
            return
        now = self._clock()
        if now - self._last.get(kind, -float("inf")) < self.settings.min_interval_s:
            self._suppressed[kind] = self._suppressed.get(kind, 0) + 1
            return
        if self._suppressed.get(kind):
            body += f" ({self._suppressed.pop(kind)} earlier message(s) of this kind held back.)"
        self._last[kind] = now
        self._outbox.put((title, body))

    # -- delivery ------------------------------------------------------------------------
    def _deliver(self) -> None:
        while (message := self._outbox.get()) is not None:
            try:
                if not self._send(*message):
                    print(f"labctl: notification not delivered: {message[0]}", file=sys.stderr)
            except Exception as exc:  # noqa: BLE001 - a notification never disturbs a run
                print(f"labctl: notification failed: {exc!r}", file=sys.stderr)

    def close(self, timeout_s: float = 30.0) -> None:
        """Send what is queued (waiting at most `timeout_s`), then stop."""
        self._outbox.put(None)
        self._thread.join(timeout_s)

    def __enter__(self) -> "Notifier":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
