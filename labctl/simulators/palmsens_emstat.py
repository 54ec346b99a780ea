"""Simulated PalmSens EmStat4 (LR / HR): the MethodSCRIPT host protocol and a script
interpreter for the subset `drivers.palmsens_emstat` uses, on the sample physics.

Documentation as for the driver: EmStat4 communication protocol v1.3 (`t`, `i`, `e` +
script + blank line, `Z`; `Z!0006` when nothing runs), MethodSCRIPT manual v1.8, packets as
in PalmSens/MethodSCRIPT_Examples. Served on a pseudo-terminal (`link = "pty"`), `\\n` lines.

Subset: `var`, `set_pgstat_chan/mode`, `set_max_bandwidth`, `set_range`, `set_range_minmax`,
`set_autoranging`, `set_e`, `cell_on/off`, `wait`, `timer_start/get`, `pck_start/add/end`,
`meas_loop_eis/ca/lsv ... endloop` (bodies: `pck_*`, `timer_get`), `on_finished:`, `#`
comments. A script that does not parse is refused with `e!XXXX: Line L, Col C` (0x4001 an
unknown command, 0x4000 any other syntax error); run-time
errors (`!XXXX: Line L`: 0x000F potential, 0x0011 frequency, 0x0012 amplitude out of
range) end the script without
`on_finished:`, as the manual describes. Output: `e`, `M####` / `*` around each measurement
loop, `P...` packets, a blank line at the end; `Z` answers `Z`, closes the open loop with
`*`, runs `on_finished:` and ends the script.

Timing (world clock, each output line due when measured): an EIS point takes
max(0.1 s, 3 periods); CA reports every interval (n = duration / interval points, the
first after one interval); LSV reports every step / scan rate, the first at the start.
Packets are produced lazily, so each value is computed at its own time and temperature.

Physics (`simulators._emstat_model.Cell`): Z from `sample.impedance` at the sample
temperature; currents from the potential program since `cell_on` (steps and ramps)
superposed from `step_current` / `sweep_current`; the sample's relative noise. Current
autoranging picks the smallest allowed range holding |I|; beyond the top allowed range the
value is clipped and flagged OVERLOAD, below 1e-3 of the lowest range flagged UNDERLOAD
(with a noise floor of that size: such a value is no measurement).
Faults: the framework's byte faults, and `inject("error")` = a cell overload at the next
measured point (the OVERLOAD status bit: MethodSCRIPT has no error code for it).

Not modelled: galvanostatic modes, bipotentiostat/MUX, `l`/`r` stored scripts, `if`/`loop`/
math commands, bandwidth filtering and averaging within a point, potential-range
autoranging, iR drop, staircase (the LSV is a true ramp), the cell's relaxation after
`cell_off` (a `cell_on` within 1 s continues the program, a later one starts from a
relaxed sample), temperature drift within one
transient, the time needed to parse a script.
"""

from __future__ import annotations

import math
from typing import Callable, Iterator

from labctl.simulators import _methodscript as ms
from labctl.simulators.device import LineDevice
from labctl.simulators._emstat_model import Cell, Program, RunError, ScriptError, Stmt, parse
from labctl.simulators.world import SimWorld

Event = tuple[float, Callable[[], list[str]]]
UNDERLOAD_FRACTION = 1e-3
# EmStat4 specifications (see the driver): potential range (V) and current ranges (A) by
# model, EIS frequency range (Hz) and largest AC amplitude (V rms)
MODELS = {"LR": (3.0, tuple(10.0 ** e for e in range(-9, -1))),
          "HR": (6.0, tuple(10.0 ** e for e in range(-7, 0)))}
FREQUENCY_RANGE_HZ, MAX_AMPLITUDE_V = (1e-5, 2e5), 0.9


class _Abort(Exception):
    """Thrown into a running script by `Z`."""


def eis_point_s(frequency_Hz: float) -> float:
    return max(0.1, 3.0 / frequency_Hz)


class EmStat4Simulator(LineDevice):
    """An EmStat4 on a pseudo-terminal, measuring the world's sample."""

    link = "pty"

    def __init__(self, world: SimWorld, options: dict | None = None):
        super().__init__(world.clock)
        self.world = world
        self.model = str((options or {}).get("model", "HR")).upper()
        self.potential_range, self.current_ranges = MODELS[self.model]
        self.cell = Cell(world)
        self._script: list[str] | None = None       # lines being received after `e`
        self._run: Iterator[Event] | None = None
        self._next: Event | None = None
        self.e_set, self.autorange = 0.0, (self.current_ranges[-1],) * 2
        self.vars: dict[str, ms.Value] = {}
        self._t = self._timer0 = 0.0
        self._packet: list[ms.Value] = []
        self._loop_open = False

    # -- host protocol ------------------------------------------------------------------------
    def handle(self, line: str) -> str | None:
        self._pump()
        if self._script is not None:
            if line.strip():
                self._script.append(line)
                return None
            return self._start()
        cmd = line.strip()
        if not cmd:
            return None
        if self._run is not None:
            if cmd != "Z":
                return ms.error_line(ms.ERR_NOT_NOW, cmd[0])
            self._abort()
            return None
        if cmd == "e":
            self._script = []
            return None
        replies = {"t": f"tes4_{self.model.lower()}1.4.00\n#labctl simulator*",
                   "i": f"iES4{self.model}-SIM-0001", "Z": ms.error_line(ms.ERR_NOT_NOW, "Z")}
        return replies.get(cmd, ms.error_line(ms.ERR_UNKNOWN_COMMAND, cmd[0]))

    def _start(self) -> str | None:
        lines, self._script = self._script or [], None
        try:
            program = parse(lines)
        except ScriptError as err:
            return ms.error_line(err.code, "e", f"Line {err.line}, Col {err.column}")
        self.vars = {name: ms.Value(ms.UNKNOWN_TYPE, 0.0) for name in program.names}
        self._run = self._execute(program)
        self._next = next(self._run)
        return None

    def _abort(self) -> None:
        self.reply("Z")
        try:
            self._next = self._run.throw(_Abort())
        except (StopIteration, _Abort):      # ended, or aborted in `on_finished:`
            self._run = self._next = None

    # -- lazy output: due events become reply lines when the clock reaches them -----------------
    def _pump(self) -> None:
        now = self.clock.now()
        while self._next is not None and self._next[0] <= now:
            for text in self._next[1]():
                self.reply(text)
            self._next = next(self._run, None)
        if self._next is None:
            self._run = None

    def ready_time(self) -> float | None:
        with self.lock:
            self._pump()
            due = [t for t in (super().ready_time(), self._next and self._next[0]) if t is not None]
            return min(due, default=None)

    def take_ready(self) -> bytes:
        with self.lock:
            self._pump()
            return super().take_ready()

    # -- interpreter ---------------------------------------------------------------------------
    def _emit(self, *lines: str) -> Event:
        return self._t, lambda: list(lines)

    def _execute(self, program: Program) -> Iterator[Event]:
        self._t = self.clock.now()
        yield self._emit("e")
        try:
            for stmt in program.main:
                yield from self._statement(stmt)
        except _Abort:
            self._t = self.clock.now()
            self.cell.hold(self._t)
            if self._loop_open:
                yield self._emit("*")
        except RunError as err:
            yield self._emit(ms.error_line(err.code, where=f"Line {err.line}"))
            return
        self._loop_open = False
        for stmt in program.on_finished:
            yield from self._statement(stmt)
        yield self._emit("")

    def _statement(self, stmt: Stmt) -> Iterator[Event]:
        loop = {"meas_loop_eis": self._eis, "meas_loop_ca": self._ca,
                "meas_loop_lsv": self._lsv}.get(stmt.cmd)
        if loop is not None:
            self._loop_open = True
            yield self._emit(ms.LOOP_MARKERS[stmt.cmd])
            for t, make in loop(stmt):
                self._t = t
                yield t, self._body(stmt, make)
            yield self._emit("*")
            self._loop_open = False
            return
        lines = self._simple(stmt)
        if lines:
            yield self._emit(*lines)

    def _body(self, stmt: Stmt, measure: Callable[[], None]) -> Callable[[], list[str]]:
        def run() -> list[str]:
            measure()
            return [line for s in stmt.body for line in self._simple(s)]
        return run

    def _simple(self, stmt: Stmt) -> list[str]:
        """An instantaneous statement; returns the output lines it makes."""
        cmd, args = stmt.cmd, stmt.args
        if cmd == "set_e":
            self.e_set = self._potential(args[0], stmt)
            self.cell.set_potential(self._t, self.e_set)
        elif cmd == "cell_on":
            self.cell.switch_on(self._t, self.e_set)
        elif cmd == "cell_off":
            self.cell.switch_off(self._t)
        elif cmd in ("set_range", "set_autoranging") and args[0] == "ba":
            values = [self.number(a) for a in args[1:]]
            self.autorange = (values[0], values[-1])
        elif cmd == "wait":
            self._t += self.number(args[0])
        elif cmd == "timer_start":
            self._timer0 = self._t
        elif cmd == "timer_get":
            self.vars[args[0]] = ms.Value(ms.TIME, self._t - self._timer0)
        elif cmd == "pck_start":
            self._packet = []
        elif cmd == "pck_add":
            self._packet.append(self.vars[args[0]])
        elif cmd == "pck_end":
            return [ms.packet(self._packet)]
        return []

    def number(self, arg: str) -> float:
        return self.vars[arg].value if arg in self.vars else ms.literal(arg)

    def _potential(self, arg: str, stmt: Stmt) -> float:
        value = self.number(arg)
        if abs(value) > self.potential_range:
            raise RunError(ms.ERR_POTENTIAL, stmt.line)
        return value

    # -- measurement loops: (due time, measure) per point ---------------------------------------
    def _eis(self, stmt: Stmt) -> Iterator[tuple[float, Callable[[], None]]]:
        f_var, re_var, im_var = stmt.args[:3]
        amp, f0, f1, n_text, dc = stmt.args[3:]
        amplitude, start, stop, n = (self.number(a) for a in (amp, f0, f1, n_text))
        low, high = FREQUENCY_RANGE_HZ
        if not all(low <= f <= high for f in (start, stop)):
            raise RunError(ms.ERR_FREQUENCY, stmt.line)
        if not 0 < amplitude <= MAX_AMPLITUDE_V:
            raise RunError(ms.ERR_AMPLITUDE, stmt.line)
        self.cell.set_potential(self._t, self._potential(dc, stmt))
        t = self._t
        for k in range(max(1, int(n))):
            f = start * (stop / start) ** (k / (n - 1)) if n > 1 else start
            t += eis_point_s(f)

            def measure(f: float = f) -> None:
                z = self.world.add_noise(complex(self.world.sample.impedance(
                    f, self.world.sample_temperature_K())), f) if self.cell.on else complex(math.nan, math.nan)
                status, index = self._ranging(amplitude / abs(z) if self.cell.on else 0.0)
                self.vars[f_var] = ms.Value(ms.FREQUENCY, f)
                self.vars[re_var] = ms.Value(ms.Z_REAL, z.real, status, index)
                self.vars[im_var] = ms.Value(ms.Z_IMAG, z.imag, status)
            yield t, measure

    def _ca(self, stmt: Stmt) -> Iterator[tuple[float, Callable[[], None]]]:
        e_var, i_var = stmt.args[:2]
        potential = self._potential(stmt.args[2], stmt)
        interval, duration = self.number(stmt.args[3]), self.number(stmt.args[4])
        self.cell.set_potential(self._t, potential)
        t0 = self._t
        for k in range(1, int(duration / interval + 1e-9) + 1):
            yield t0 + k * interval, self._dc_point(e_var, i_var, t0 + k * interval)

    def _lsv(self, stmt: Stmt) -> Iterator[tuple[float, Callable[[], None]]]:
        e_var, i_var = stmt.args[:2]
        start, stop = (self._potential(a, stmt) for a in stmt.args[2:4])
        step, rate = abs(self.number(stmt.args[4])), abs(self.number(stmt.args[5]))
        sign = 1.0 if stop >= start else -1.0
        self.cell.set_potential(self._t, start)
        t0, n = self._t, round(abs(stop - start) / step) + 1
        self.cell.ramp(t0, sign * rate)
        for k in range(n):
            yield t0 + k * step / rate, self._dc_point(e_var, i_var, t0 + k * step / rate)
        self.cell.set_potential(t0 + (n - 1) * step / rate, start + sign * (n - 1) * step)

    def _dc_point(self, e_var: str, i_var: str, t: float) -> Callable[[], None]:
        def measure() -> None:
            current = float(self.world.add_noise(
                self.cell.current(t, self.world.sample_temperature_K())))
            status, index = self._ranging(current)
            if status & ms.STATUS_UNDERLOAD:   # the noise floor of the lowest range
                current += UNDERLOAD_FRACTION * self._allowed()[0] * self.world.rng.normal()
            top = self._allowed()[-1]
            self.vars[e_var] = ms.Value(ms.POTENTIAL, self.cell.potential(t))
            self.vars[i_var] = ms.Value(ms.CURRENT, max(-top, min(top, current)), status, index)
        return measure

    def _allowed(self) -> list[float]:
        low, high = self.autorange
        allowed = [r for r in self.current_ranges if low * (1 - 1e-9) <= r <= high * (1 + 1e-9)]
        return allowed or [next((r for r in self.current_ranges if r >= low), self.current_ranges[-1])]

    def _ranging(self, current: float) -> tuple[int, int]:
        """(status bits, range index) of a current under the autoranging bounds."""
        allowed = self._allowed()
        chosen = next((r for r in allowed if r >= abs(current)), allowed[-1])
        status = ms.STATUS_OVERLOAD if abs(current) > allowed[-1] or self.take_fault("error") \
            else ms.STATUS_UNDERLOAD if abs(current) < UNDERLOAD_FRACTION * allowed[0] else 0
        return status, round(3 * (math.log10(chosen) + 10))
