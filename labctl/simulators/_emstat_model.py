"""Models behind the simulated EmStat4 (`simulators.palmsens_emstat`): the parsed
MethodSCRIPT program (syntax subset of the MethodSCRIPT manual v1.8, checked as the
instrument checks a script before running it) and the cell's potential program.

`Cell` keeps the potential applied since `cell_on` as voltage steps and slope changes
(ramps) and returns the sample current by superposition of the sample model's exact
responses: V(t)/R_e + sum_k dV_k (step_current(1 V, t - t_k) - 1/R_e) + sum_k da_k
(ionic part of sweep_current per unit slope for a ramp from t_k) + static_current(V(t))
(decomposition; a Hebb-Wagner cell's nonlinear electronic current),
all at one temperature. A cell switched on again within RESUME_GAP_S of its `cell_off`
continues its potential program (scripts run back to back: the sample has no time to
relax, e.g. the salt gradient of a Li cell); after a longer gap it is taken as relaxed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from labctl.simulators import _methodscript as ms
from labctl.simulators.world import SimWorld

# command -> argument kinds: d declares a variable, o/v a declared variable (output /
# input), n a number literal or variable, k a variable-type code
SIGNATURES = {
    "var": "d", "set_pgstat_chan": "n", "set_pgstat_mode": "n", "set_max_bandwidth": "n",
    "set_range": "kn", "set_autoranging": "knn", "set_range_minmax": "knn", "set_e": "n",
    "cell_on": "", "cell_off": "", "wait": "n", "timer_start": "", "timer_get": "o",
    "pck_start": "", "pck_add": "v", "pck_end": "", "endloop": "", "on_finished:": "",
    "meas_loop_eis": "ooonnnnn", "meas_loop_ca": "oonnn", "meas_loop_lsv": "oonnnn",
}
LOOP_BODY = {"pck_start", "pck_add", "pck_end", "timer_get"}
NAME_RE = re.compile(r"^[a-z_][a-z0-9_]*$")
TYPE_CODES = {"ba", "ab", "da"}
RAMP_PROBE_V = 1e-3
RESUME_GAP_S = 1.0


class ScriptError(Exception):
    """The script is refused before it runs (reported as `e!XXXX: Line L, Col C`)."""

    def __init__(self, code: int, line: int, column: int):
        super().__init__(f"0x{code:04X} at line {line}, column {column}")
        self.code, self.line, self.column = code, line, column


class RunError(Exception):
    """A run-time error (reported as `!XXXX: Line L`)."""

    def __init__(self, code: int, line: int):
        super().__init__(f"0x{code:04X} at line {line}")
        self.code, self.line = code, line


@dataclass
class Stmt:
    line: int
    cmd: str
    args: list[str]
    body: list["Stmt"] = field(default_factory=list)


@dataclass
class Program:
    main: list[Stmt]
    on_finished: list[Stmt]
    names: set[str]


def _check_args(kinds: str, args: list[str], names: set[str], raw: str, line: int) -> None:
    for kind, arg in zip(kinds, args):
        ok = {"d": NAME_RE.match(arg) and arg not in names, "k": arg in TYPE_CODES,
              "n": arg in names or ms.LITERAL.fullmatch(arg)}.get(kind, arg in names)
        if not ok:
            raise ScriptError(ms.ERR_SYNTAX, line, raw.find(arg) + 1)


def parse(lines: list[str]) -> Program:
    """The program of a script (lines after `e`, numbered from 1); ScriptError if refused."""
    program, loop = Program([], [], set()), None
    block = program.main
    for number, raw in enumerate(lines, 1):
        text = raw.split("#", 1)[0].strip()
        if not text:
            continue
        cmd, *args = text.split()
        kinds = SIGNATURES.get(cmd)
        if kinds is None:
            raise ScriptError(ms.ERR_UNKNOWN_IN_SCRIPT, number, raw.find(cmd) + 1)
        if (len(args) != len(kinds)
                or (loop is not None and cmd not in LOOP_BODY | {"endloop"})
                or (cmd == "endloop" and loop is None)
                or (cmd == "on_finished:" and block is program.on_finished)):
            raise ScriptError(ms.ERR_SYNTAX, number, raw.find(cmd) + 1)
        _check_args(kinds, args, program.names, raw, number)
        stmt = Stmt(number, cmd, args)
        if cmd == "var":
            program.names.add(args[0])
        elif cmd == "endloop":
            loop = None
        elif cmd == "on_finished:":
            block = program.on_finished
        elif loop is not None:
            loop.body.append(stmt)
        else:
            block.append(stmt)
            loop = stmt if cmd.startswith("meas_loop") else None
    if loop is not None:
        raise ScriptError(ms.ERR_SYNTAX, loop.line, 1)
    return program


class Cell:
    """The potential program applied to the sample since `cell_on`, and its current."""

    def __init__(self, world: SimWorld):
        self.world = world
        self.on = False
        self.off_since: float | None = None
        self.steps: list[tuple[float, float]] = []   # (t, dV)
        self.ramps: list[tuple[float, float]] = []   # (t, d slope)

    def switch_on(self, t: float, potential: float) -> None:
        """On at `potential`: continuing the program after a short gap, else relaxed."""
        resume = self.off_since is not None and t - self.off_since <= RESUME_GAP_S
        self.on, self.off_since = True, None
        if resume:
            self.set_potential(t, potential)
        else:
            self.steps, self.ramps = [(t, potential)], []

    def switch_off(self, t: float) -> None:
        """Off at `t` (a ramp ends there); the program is kept for a resume."""
        self.hold(t)
        self.on, self.off_since = False, t

    def slope(self) -> float:
        return sum(a for _, a in self.ramps)

    def potential(self, t: float) -> float:
        return sum(dv for tk, dv in self.steps if tk <= t) + \
            sum(a * (t - tk) for tk, a in self.ramps if tk < t)

    def set_potential(self, t: float, potential: float) -> None:
        """Hold `potential` from `t` on (ends a ramp); remembered only while on."""
        if self.on:
            self.hold(t)
            self.steps.append((t, potential - self.potential(t)))

    def ramp(self, t: float, rate: float) -> None:
        self.ramps.append((t, rate - self.slope()))

    def hold(self, t: float) -> None:
        if self.slope():
            self.ramps.append((t, -self.slope()))

    def current(self, t: float, T_K: float) -> float:
        """Sample current (A) at time t; 0 while the cell is off."""
        if not self.on:
            return 0.0
        sample = self.world.sample
        g_e = 1.0 / float(sample.resistances(T_K)["electronic"])
        v = self.potential(t)
        total = v * g_e + float(sample.static_current(v, T_K))
        for tk, dv in self.steps:
            if t > tk and dv:
                total += dv * (float(sample.step_current(1.0, t - tk, T_K)) - g_e)
        for tk, da in self.ramps:   # ramp response taken at a 1 mV ramp: linear, no overflow
            if t > tk:
                ionic = float(sample.sweep_current([RAMP_PROBE_V], [t - tk], T_K)[0]) \
                    - RAMP_PROBE_V * g_e - float(sample.static_current(RAMP_PROBE_V, T_K))
                total += da * (t - tk) / RAMP_PROBE_V * ionic
        return total
