"""The bench panel: each instrument with its connection state, identity and live reading
(polled by the session off the GUI thread; of a switch matrix, its closed channels read
back, grouped as which pellet is on which instrument), and manual controls that go through the
runner and its safety limits: furnace set-point and ramp, a one-off run of each protocol
that declares a short form and that the bench has the instruments for (an impedance
spectrum, a DC polarization: fields and defaults from its `Params`; in a row that scrolls
rather than widen the window beyond a laptop's screen), and the prominent 'everything
safe' button."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QFormLayout, QGroupBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QPushButton, QScrollArea, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from labctl import events as ev
from labctl import registry
from labctl.capabilities import (CurrentReading, SourceMeter, Switch, SwitchState,
                                 TemperatureController, TemperatureReading)
from labctl.errors import LabctlError
from labctl.gui import paramfields
from labctl.gui.session import CommandDone, Readings, Session
from labctl.runstate import ACTIVE
from labctl.units import C_to_K, K_to_C

COLUMNS = ("Instrument", "Driver", "Resource", "State", "Reading", "Identity")
READING, IDENTITY = 4, 5
SAFE_STYLE = ("QPushButton { background: #c62828; color: white; font-size: 16pt; "
              "font-weight: bold; padding: 10px; border-radius: 6px; }"
              "QPushButton:pressed { background: #8e0000; }")


def describe(reading) -> str:
    if isinstance(reading, TemperatureReading):
        return (f"T = {K_to_C(reading.temperature_K):.1f} °C   set-point "
                f"{K_to_C(reading.setpoint_K):.1f} °C   output {reading.output_percent:.0f} %")
    if isinstance(reading, CurrentReading):
        return f"U = {reading.voltage_V:.4g} V   I = {reading.current_A:.4g} A"
    if isinstance(reading, SwitchState):
        return describe_switch(reading)
    return ""


def describe_switch(state: SwitchState) -> str:
    """'A on fra (1!1 hi, 1!11 lo)   B on smu (...)', or 'all open'."""
    routes: dict[tuple[str, str], list[str]] = {}
    for channel, sample, terminal in state.closed:
        instrument, _, end = terminal.partition(".")
        routes.setdefault((sample, instrument), []).append(f"{channel} {end}".strip())
    return "   ".join(f"{sample} on {instrument} ({', '.join(channels)})"
                      for (sample, instrument), channels in routes.items()) or "all open"


class BenchPanel(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        specs = session.config.instruments
        self.rows = {name: i for i, name in enumerate(specs)}
        self.live_rows = {kind: _only(session, capability) for kind, capability in
                          ((CurrentReading, SourceMeter), (TemperatureReading,
                                                           TemperatureController))}
        self.table = QTableWidget(len(specs), len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        for name, spec in specs.items():
            for col, text in enumerate((name, spec.driver, spec.resource, "connecting…", "—")):
                self.table.setItem(self.rows[name], col, QTableWidgetItem(text))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        header.setSectionResizeMode(IDENTITY, QHeaderView.Stretch)
        self.table.setMaximumHeight(40 + 32 * len(specs))

        self.safe = QPushButton("EVERYTHING SAFE\noutputs off, furnace to its safe set-point")
        self.safe.setStyleSheet(SAFE_STYLE)
        self.safe.clicked.connect(self.everything_safe)

        self.controls: list[QGroupBox] = []
        self.setpoint, self.ramp = QLineEdit("300"), QLineEdit("10")
        furnace = self._form("Furnace", [("Set-point / °C", self.setpoint),
                                         ("Ramp / (°C/min)", self.ramp)],
                             "Set furnace", self.set_furnace)
        boxes = [furnace]
        self.forms: dict[str, dict[str, QLineEdit]] = {}    # kind -> parameter -> field
        for spec in paramfields.formed():
            if paramfields.unavailable(spec, session.config):
                continue                        # (no instrument for one of its roles)
            fields = paramfields.fields(spec)
            edits = {f.name: paramfields.edit(f) for f in fields}
            self.forms[spec.kind] = edits
            boxes.append(self._form(
                f"One-off {spec.title.lower()}",
                [(f.label + (f" / {f.unit}" if f.unit else ""), edits[f.name]) for f in fields],
                f"{spec.title}: start now", lambda _=False, kind=spec.kind: self.one_off(kind)))
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self._asked: dict = {}       # future of a command given here -> what it was

        row = QWidget()
        controls = QHBoxLayout(row)
        controls.setContentsMargins(0, 0, 0, 0)
        for box in boxes:
            controls.addWidget(box)
        scroller = QScrollArea()
        scroller.setWidget(row)
        scroller.setWidgetResizable(True)
        scroller.setFrameShape(QScrollArea.NoFrame)
        scroller.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        scroller.setMinimumHeight(row.sizeHint().height() + 20)   # (room for the scroll bar)
        layout = QVBoxLayout(self)
        layout.addWidget(self.safe)
        layout.addWidget(self.table)
        layout.addWidget(scroller)
        layout.addWidget(self.message)
        layout.addStretch(1)

    def _form(self, title: str, rows, button: str, action) -> QGroupBox:
        """A group of fields with its button (disabled while a run owns the bench)."""
        box = QGroupBox(title)
        form = QFormLayout(box)
        for label, edit in rows:
            form.addRow(label, edit)
        go = QPushButton(button)
        go.clicked.connect(action)
        form.addRow(go)
        self.controls.append(box)
        return box

    # -- commands -----------------------------------------------------------------------------
    def everything_safe(self) -> None:
        self._try(self.session.safe_state, "everything safe",
                  "everything safe: requested (a run in progress is aborted)…")

    def set_furnace(self) -> None:
        try:
            setpoint_C, rate_C = float(self.setpoint.text()), float(self.ramp.text())
        except ValueError:
            return self.say("set-point and ramp must be numbers", error=True)
        what = f"furnace to {setpoint_C:g} °C at {rate_C:g} °C/min"
        self._try(lambda: self.session.set_furnace(C_to_K(setpoint_C), rate_C / 60.0),
                  what, f"{what}: sending…")

    def one_off(self, kind: str) -> None:
        """Run protocol `kind` now with the parameters of its form."""
        fields = {f.name: f for f in paramfields.fields(registry.protocol(kind))}
        try:
            params = {key: paramfields.value(fields[key], edit.text())
                      for key, edit in self.forms[kind].items()}
        except ValueError as exc:
            return self.say(f"one-off {kind}: {exc}", error=True)
        self._try(lambda: self.session.one_off(kind, params), f"one-off {kind}",
                  f"one-off {kind} started…")

    def _try(self, command, what: str, started: str) -> None:
        """Give `command`; its refusal now, or its outcome when it ends (`CommandDone`)."""
        try:
            future = command()
        except LabctlError as exc:
            return self.say(f"{what} refused: {exc}", error=True)
        self._asked[future] = what
        self.say(started)

    def _done(self, event: CommandDone) -> None:
        what = self._asked.pop(event.future, None)
        if what is None:
            return
        if event.status == "done":
            self.say(f"{what}: done")
        else:
            self.say(f"{what} {event.status}: {event.reason or 'no reason given'}", error=True)

    def say(self, message: str, error: bool = False) -> None:
        self.message.setStyleSheet("color: #c00000;" if error else "")
        self.message.setText(message)

    # -- events ---------------------------------------------------------------------------------
    def handle(self, event) -> None:
        if isinstance(event, CommandDone):
            self._done(event)
        elif isinstance(event, ev.StateChanged):
            for box in self.controls:
                box.setEnabled(event.state not in ACTIVE)
            if event.state in ACTIVE:      # not read during a run: no stale state shown
                for name, inst in self.session.bench.instruments.items():
                    if isinstance(inst, Switch):
                        self._set(self.rows[name], READING, "switched by the run")
        elif isinstance(event, Readings):
            for name, row in self.rows.items():
                if name in event.identities:
                    self._set(row, IDENTITY, event.identities[name])
                if name in event.errors:
                    self._set(row, 3, "error")
                    self._set(row, READING, event.errors[name])
                elif name in event.values:
                    self._set(row, 3, "connected")
                    self._set(row, READING, describe(event.values[name]))
                elif name in event.identities:
                    self._set(row, 3, "connected")
        elif isinstance(event, ev.PointRecorded):
            self._live(event.point)
        elif isinstance(event, ev.TemperatureRecorded):
            self._live(event.reading)

    def _live(self, reading) -> None:
        """A run's reading on its instrument's row (the poller leaves a busy SMU alone)."""
        name = self.live_rows.get(type(reading))
        if name is not None:
            self._set(self.rows[name], READING, describe(reading))

    def _set(self, row: int, col: int, text: str) -> None:
        item = self.table.item(row, col)
        if item is None:
            self.table.setItem(row, col, QTableWidgetItem(text))
        elif item.text() != text:
            item.setText(text)


def _only(session: Session, capability: type) -> str | None:
    """The name of the bench's only instrument with `capability` (None: none or several)."""
    found = [name for name, inst in session.bench.instruments.items()
             if isinstance(inst, capability)]
    return found[0] if len(found) == 1 else None
