"""Joining instruments to samples through the bench's switches (a run of several pellets).

`Wiring` reads every switch's channel map from the bench file (for recipe validation:
nothing is opened): which instruments are switched, which channels join a pellet to an
instrument, and why a set of joins may not be made at once (`labctl.drivers._switch`'s
rules, over all switches together: a pellet on instruments of two switches would short
them as surely as on one). `Router` does it on the open bench: each lane (a thread: the
runner's, or one of the protocols running side by side) says which pellet its instruments
are to reach; every switch is set to the union of what the lanes need, break-before-make,
read back; `confirm` reads back before every measurement.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager
from typing import Any, Callable, Iterable, Mapping

from labctl import registry
from labctl.drivers._switch import SwitchMatrix, Wire, conflicts, parse_channel_map
from labctl.errors import ConfigError


class Wiring:
    """The channel maps of a bench's switches: {switch: {channel: Wire}}."""

    def __init__(self, switches: Mapping[str, Mapping[str, Wire]]):
        self.switches = {name: dict(wires) for name, wires in switches.items()}

    @classmethod
    def from_config(cls, config: Any) -> Wiring:
        """The switches of bench config `config` whose channel map is valid (the bench's
        own validation reports the others)."""
        return cls.of(config.instruments)

    @classmethod
    def of(cls, instruments: Mapping[str, Any]) -> Wiring:
        """The switches among `instruments` ({name: InstrumentSpec}), as `from_config`."""
        switches = {}
        for name, spec in instruments.items():
            driver = registry.load_driver(spec.driver)
            if isinstance(driver, type) and issubclass(driver, SwitchMatrix):
                try:
                    switches[name] = parse_channel_map(name, spec.options.get("channels"),
                                                       driver.card_channels(
                                                           spec.options.get("slot", 1)))
                except ConfigError:
                    continue
        return cls(switches)

    def pellets(self) -> set[str]:
        return {w.sample for wires in self.switches.values() for w in wires.values()}

    def switched(self, instrument: str) -> bool:
        """Whether some switch leads to `instrument`'s terminals."""
        return any(w.instrument == instrument for wires in self.switches.values()
                   for w in wires.values())

    def channels(self, pellet: str, instruments: Iterable[str]) -> dict[str, frozenset[str]]:
        """{switch: channels} joining `pellet` to each of `instruments` that is switched."""
        wanted = set(instruments)
        found = {name: frozenset(c for c, w in wires.items()
                                 if w.sample == pellet and w.instrument in wanted)
                 for name, wires in self.switches.items()}
        return {name: channels for name, channels in found.items() if channels}

    def problems(self, pellet: str, instruments: Iterable[str]) -> list[str]:
        """Why `pellet` cannot be joined to all of `instruments` at once (empty: it can)."""
        switched = [i for i in dict.fromkeys(instruments) if self.switched(i)]
        reached = {w.instrument for wires in self.switches.values() for w in wires.values()
                   if w.sample == pellet}
        missing = [f"pellet {pellet!r} is wired to no terminal of instrument {i!r}"
                   for i in switched if i not in reached]
        return missing or self.conflicts({pellet: switched})

    def conflicts(self, joins: Mapping[str, Iterable[str]]) -> list[str]:
        """Why the joins {pellet: instruments} may not be made together (all switches)."""
        merged = {f"{name}:{c}": w for name, wires in self.switches.items()
                  for c, w in wires.items()}
        wanted = {f"{name}:{c}" for pellet, instruments in joins.items()
                  for name, channels in self.channels(pellet, instruments).items()
                  for c in channels}
        return conflicts(merged, wanted)


class Router:
    """Sets the open bench's switches to what the lanes need; `exclusive` serialises
    switching and read-backs between lanes (a `Lanes.exclusive` on a virtual clock)."""

    def __init__(self, bench: Any, wiring: Wiring, pellets: Mapping[str, str],
                 exclusive: Callable[[], AbstractContextManager] | None = None):
        self.wiring, self.pellets = wiring, dict(pellets)   # sample -> pellet
        self.switches = {name: bench[name] for name in wiring.switches}
        self._needs: dict[int, dict[str, frozenset[str]]] = {}   # lane -> switch -> channels
        self._set: dict[str, frozenset[str]] = {}   # switch -> channels as last switched
        lock = threading.RLock()
        self.exclusive = exclusive or (lambda: lock)

    def open_all(self) -> None:
        """Every switch open (read back), what the lanes start from: a run before may have
        left channels closed (a fixture run its last position)."""
        with self.exclusive():
            for name, switch in self.switches.items():
                switch.connect(frozenset())
                self._set[name] = frozenset()

    def route(self, sample: str, instruments: Iterable[str]) -> None:
        """This lane's `instruments` joined to `sample`'s pellet (what it joined before
        released); SafetyLimitError (nothing sent) or InstrumentError (a relay did not
        follow)."""
        with self.exclusive():
            self._needs[threading.get_ident()] = self.wiring.channels(self.pellets[sample],
                                                                      instruments)
            for name, switch in self.switches.items():
                target = frozenset().union(*(n.get(name, ()) for n in self._needs.values()))
                switch.connect(target)
                self._set[name] = target

    def release(self) -> None:
        """This lane needs nothing joined any more (opened by the next `route`)."""
        with self.exclusive():
            self._needs.pop(threading.get_ident(), None)

    def confirm(self) -> None:
        """Read back: every switch as the lanes need it (InstrumentError naming a relay).
        A switch not yet set is opened (a run that failed with it unreachable, then
        resumed, found it as it was left: pellets joined to instruments)."""
        with self.exclusive():
            for name, switch in self.switches.items():
                if name in self._set:
                    switch.confirm(self._set[name])
                else:
                    switch.connect(frozenset())
                    self._set[name] = frozenset()
