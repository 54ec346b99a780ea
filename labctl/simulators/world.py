"""The simulated world of one bench: a sample in a furnace, a clock and seeded noise.

Every simulated instrument of the bench reads the same `SimWorld`, so the impedance
analyzer measures the sample at the temperature the furnace controller produced. The world
is advanced lazily: whoever reads it first brings the control loop up to `clock.now()`.
`sample` is the sample model at the world's age (the cell is assembled when the world is
created), so an interface that drifts with age (`SampleModel.at_age`) drifts on the clock;
with a `contact` table it is the sample after the thermal cycles its temperature has been
through (`physics.cycling`, fed at every reading of the control loop).
Instruments may be served from different threads; all access goes through one lock.

Temperature controllers: the first one built on a world runs the world's `loop`; each
further one (sim-full's Lake Shore beside its Eurotherm) gets its own firmware loop on the
same furnace (`controller_loop`), as if both were wired to the one heater through a
changeover: the heater follows the active controller only. A controller becomes active by
`claim` when it is given a set-point or its output is switched on, and hands the heater
back by `release` when its output goes off, so a controller in its off/safe state never
overrides one that is controlling. Both read the same thermocouple and sample.

Gas: the furnace tube's atmosphere (`atmosphere`, a `MixingVolume`) is fed by the simulated
mass-flow controllers (`set_feed`); the oxygen sensor and the sample read its pO2 (a CO/CO2
buffer's at equilibrium at the sample temperature, or at the temperature asked).

Concentration cell (bench `[simulation] concentration_cell = [NAMES]`, needs the sample
file's `[concentration_cell]` table): the instruments named read the sample as an oxygen
concentration cell against its reference gas (`physics.concentration_cell`), not as a
pellet between blocking electrodes.

Several pellets (bench `[simulation.pellets.NAME]`): each a `Pellet` with its own sample
file, temperature offset and lag, aging, thermal cycles (counted at its own temperature)
and oxygen (taken up from the tube by its own chemical diffusion); a simulated switch routes them (`route`) and an impedance
instrument measures what is routed to it (`impedance_seen`): its pellet through the
channels' `Lead`, or an open input (`OPEN_INPUT_F` only) when none is; a source-measure
unit sources into the routed pellet (`sample_seen`; nothing: an open circuit). A world without
pellets is the one-sample world: every instrument measures `sample`.

Fixtures (`fixtures`, bench key `fixture` of a pellet table or of [simulation] for the
one-sample world): a pellet position (None: the one sample) holding an open (inf), a
short (0) or a load resistor (Ohm) instead of its sample, for compensation measurements.
"""

from __future__ import annotations

import math
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import numpy as np

from labctl.clock import Clock, VirtualClock
from labctl.simulators.physics.atmosphere import MixingVolume, SampleOxygen
from labctl.simulators.physics.cycling import ThermalCycles
from labctl.simulators.physics.furnace import ControlLoop, Furnace, FurnaceParams
from labctl.simulators.physics.pellets import Lead, Pellet
from labctl.simulators.physics.sample import SampleModel


OPEN_INPUT_F = 5e-12     # an analyzer's open input with its cable (estimate)


class SimWorld:
    """Clock, sample, furnace control loop and random generator shared by a bench."""

    def __init__(self, clock: Clock, sample: SampleModel, loop: ControlLoop, seed: int = 0):
        self.clock, self.loop = clock, loop   # `loop`: the one driving the heater now
        self._loops: list[ControlLoop] = []    # of the controllers, in the order built
        self._previous: ControlLoop | None = None
        self._sample, self._assembled_s = sample, clock.now()
        self.rng = np.random.default_rng(seed)
        self.lock = threading.RLock()
        self.atmosphere = MixingVolume(t0_s=clock.now())
        self.sample_oxygen = SampleOxygen(self.atmosphere.fractions(clock.now()), clock.now())
        self.pellets: dict[str, Pellet] = {}
        self.routes: dict[str, tuple[str, Lead]] = {}   # instrument -> (pellet, lead)
        self.fixtures: dict[str | None, float] = {}     # position -> fixture's Z (Ohm)
        self.on_concentration_cell: frozenset[str] = frozenset()   # instruments wired to it
        self.cycles = ThermalCycles(sample.contact.swing_K, loop.sample_K) \
            if sample.contact else None

    @classmethod
    def create(cls, clock: Clock | None = None, sample_path: str | Path | None = None,
               seed: int = 0, start_temperature_K: float | None = None) -> SimWorld:
        """Default furnace and controller; the shipped default sample unless `sample_path`.
        The furnace starts in equilibrium at `start_temperature_K` (default: ambient) and
        the controller holds it there."""
        clock = clock or VirtualClock()
        sample = SampleModel.from_toml(sample_path) if sample_path else SampleModel.default()
        furnace = Furnace(FurnaceParams(), temperature_K=start_temperature_K)
        return cls(clock, sample, ControlLoop(furnace, start_s=clock.now()), seed)

    @property
    def sample(self) -> SampleModel:
        """The sample model as it is now (its age: clock time since the world was created;
        its thermal cycles so far; with a `brouwer` table equilibrated with the oxygen it
        has taken up by now)."""
        with self.lock:
            T = self.sample_temperature_K()
            return self._as_now(self._sample, self.cycles, self.sample_oxygen, T)

    def _as_now(self, model: SampleModel, cycles: ThermalCycles | None,
                oxygen: SampleOxygen, temperature_K: float) -> SampleModel:
        """`model` (the world's sample or a pellet's) at its age, after its thermal cycles,
        equilibrated with its oxygen (brought up to now)."""
        sample = model.at_age(self.clock.now() - self._assembled_s)
        if cycles:
            sample = sample.at_cycles(cycles.count)
        if not sample.brouwer:
            return sample
        self._advance_sample_oxygen()
        return sample.at_pO2(oxygen.pO2_Pa(temperature_K))

    def sample_pO2_Pa(self) -> float:
        """The pO2 the sample is equilibrated with now (lagging the tube by chemical
        diffusion when the sample file has a `chemical_diffusion` table)."""
        with self.lock:
            self._advance_sample_oxygen()
            return self.sample_oxygen.pO2_Pa(self.sample_temperature_K())

    def _advance_sample_oxygen(self) -> None:
        """The oxygen of the sample and of every pellet, each at its own temperature."""
        now, thermocouple_K = self.clock.now(), self.sample_temperature_K()
        holders = [(self._sample, self.sample_oxygen, thermocouple_K)]
        for pellet in self.pellets.values():
            if pellet.oxygen is None:      # the tube has been as it is since the last change
                pellet.oxygen = SampleOxygen(self.atmosphere.fractions(now), now)
            holders.append((pellet.sample, pellet.oxygen,
                            pellet.temperature_K(now, thermocouple_K)))
        for sample, oxygen, T in holders:
            tau = 0.0 if sample.chemical_diffusion is None else \
                float(sample.chemical_diffusion_time_s(T))
            oxygen.advance(now, self.atmosphere, tau)

    @contextmanager
    def control(self) -> Iterator[ControlLoop]:
        """The control loop brought up to `clock.now()`, held under the world's lock:
        `with world.control() as loop: loop.set_target(873.15)`."""
        with self.lock:
            self.loop.update(self.clock.now())
            if self.cycles:
                self.cycles.observe(self.loop.sample_K)
            for pellet in self.pellets.values():
                if pellet.sample.contact:
                    pellet.observe(self.clock.now(), self.loop.sample_K)
            yield self.loop

    def controller_loop(self) -> ControlLoop:
        """The firmware loop of a new temperature controller: the world's loop for the
        first, a loop of its own on the same furnace (not driving the heater) for others."""
        with self.lock:
            if self._loops:
                first = self._loops[0]
                loop = ControlLoop(first.furnace, first.gains, first.period_s, first.time_s)
            else:
                loop = self.loop
            self._loops.append(loop)
            return loop

    def claim(self, loop: ControlLoop) -> None:
        """`loop` drives the heater from now on (a no-op if it already does)."""
        with self.control() as active:
            if loop is not active:
                loop.take_over(active)
                self.loop, self._previous = loop, active

    def release(self, loop: ControlLoop) -> None:
        """`loop`'s output went off: the controller active before it takes the heater back."""
        with self.control() as active:
            if loop is active and self._previous is not None:
                self._previous.take_over(loop)
                self.loop, self._previous = self._previous, None

    def sample_temperature_K(self) -> float:
        """Sample temperature now."""
        with self.control() as loop:
            return loop.sample_K

    def set_feed(self, line: str, flow_sccm: float, gas: str) -> None:
        """Gas line `line` feeds the tube `flow_sccm` of `gas` from now on."""
        with self.lock:
            self._advance_sample_oxygen()
            self.atmosphere.set_feed(line, flow_sccm, gas, self.clock.now())

    def pO2_Pa(self, temperature_K: float | None = None) -> float:
        """Oxygen partial pressure in the tube now, of its gas equilibrated at
        `temperature_K` (None: the sample's; matters only with a CO/CO2 buffer)."""
        with self.lock:
            t = self.sample_temperature_K() if temperature_K is None else temperature_K
            return self.atmosphere.pO2_Pa(self.clock.now(), t)

    def add_noise(self, value, frequency_Hz=None):
        """`value` with the sample file's measurement noise (an impedance measured at
        `frequency_Hz`: its accuracy chart's), from the world's seeded generator."""
        with self.lock:
            return self.sample.add_noise(value, self.rng, frequency_Hz)

    def route(self, instrument: str, pellet: str | None, lead: Lead = Lead()) -> None:
        """A switch joined bench instrument `instrument` to `pellet` through `lead` (None:
        to nothing)."""
        with self.lock:
            if pellet is None:
                self.routes.pop(instrument, None)
            else:
                self.routes[instrument] = (pellet, lead)

    def routed(self, instrument: str) -> str | None:
        """The pellet a switch joined bench instrument `instrument` to (None: none)."""
        with self.lock:
            return self.routes.get(instrument, (None,))[0]

    def sample_seen(self, instrument: str) -> tuple[SampleModel, float] | None:
        """The sample bench instrument `instrument` reaches now and its temperature: the
        world's sample, or the pellet a switch routed to it (None: none is)."""
        with self.lock:
            if not self.pellets:
                return self.sample, self.sample_temperature_K()
            if instrument not in self.routes:
                return None
            return self._pellet_now(self.pellets[self.routes[instrument][0]])

    def _pellet_now(self, pellet: Pellet) -> tuple[SampleModel, float]:
        """A pellet's sample as it is now (`_as_now`) and its temperature."""
        T = pellet.temperature_K(self.clock.now(), self.sample_temperature_K())
        if pellet.oxygen is None:
            self._advance_sample_oxygen()
        return self._as_now(pellet.sample, pellet.cycles, pellet.oxygen, T), T

    def impedance_seen(self, instrument: str, frequency_Hz):
        """The impedance bench instrument `instrument` measures now (without noise)."""
        with self.lock:
            if not self.pellets:
                if None in self.fixtures:
                    return np.full(np.shape(frequency_Hz), self.fixtures[None], dtype=complex)
                return self.sample.impedance(frequency_Hz, self.sample_temperature_K())
            if instrument not in self.routes:
                return Lead(stray_C_F=OPEN_INPUT_F).measured(math.inf, frequency_Hz)
            name, lead = self.routes[instrument]
            if name in self.fixtures:
                return lead.measured(self.fixtures[name], frequency_Hz)
            sample, T = self._pellet_now(self.pellets[name])
            return lead.measured(sample.impedance(frequency_Hz, T), frequency_Hz)
