"""All live plots of a run in one view, fed by runner events or by a stored run.

`PlotsView.handle(event)` routes runner events by what the measurement's protocol declares
(`ProtocolSpec.streams`, `marks`): impedance points to Nyquist and Bode ('spectrum') or to
the |Z| monitor under T(t) ('monitor'), DC readings to I(t) ('relaxation') or to I(V)
('sweep', shown once there is one), temperature readings to T(t); a finished measurement's
resistance to Arrhenius, its steady current to I(t), and its Result to the protocol's
figures (`ProtocolSpec.figures`, each a panel shown once it has a result). `load_run` replots a run from the store, and
`follow` continues it with the points added since (a run still running).
A run with several samples: each curve is its sample's (one colour per sample), and the
*Sample* selector shows one sample's spectra in Nyquist and Bode and its results in the
protocols' figures (or all).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QGridLayout, QSplitter, QWidget

from labctl import events as ev
from labctl import registry
from labctl.capabilities import CurrentReading, GasReading, ImpedancePoint
from labctl.protocol import Finished
from labctl.gui.figures import FigurePlot
from labctl.gui.plots import (ArrheniusPlot, BodePlot, CurrentPlot, NyquistPlot, SweepPlot,
                              TemperaturePlot)
from labctl.store import Store

# where the points of a kind no protocol declares are drawn, by store table
DEFAULT = {"impedance": "spectrum", "dc": "relaxation"}
ALL_SAMPLES = "all samples"


class PlotsView(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.nyquist, self.bode = NyquistPlot(), BodePlot()
        self.current, self.temperature = CurrentPlot(), TemperaturePlot()
        self.sweep, self.arrhenius = SweepPlot(), ArrheniusPlot()
        self.figures: dict[tuple[str, str], FigurePlot] = {}   # (kind, title) -> its panel
        self.spectrum_panels = [self.nyquist, self.bode]   # what the sample selector filters
        self.sample_box = QComboBox()
        self.sample_box.setToolTip("The sample the spectra, DRT and protocol figures show")
        self.sample_box.currentTextChanged.connect(self._show_sample)
        self.nyquist.tools.insertWidget(1, self.sample_box)
        self.set_samples([])
        top = QSplitter(Qt.Horizontal)
        for panel in (self.nyquist, self.bode):
            top.addWidget(panel)
        bottom = self.bottom = QSplitter(Qt.Horizontal)
        for panel in (self.current, self.sweep, self.temperature, self.arrhenius):
            bottom.addWidget(panel)
        self.sweep.hide()
        split = QSplitter(Qt.Vertical)
        split.addWidget(top)
        split.addWidget(bottom)
        split.setSizes([3, 2])
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)
        self._kinds: dict[int, tuple[str, float | None]] = {}
        self._samples: dict[int, str | None] = {}     # step id -> its sample
        self._finished: set[int] = set()
        self._largest_Ohm = 0.0     # largest R_ion so far: the Nyquist view shows its arc
        self._cursor = (0, 0, 0)   # of the stored run being followed

    @property
    def panels(self):
        return (self.nyquist, self.bode, self.current, self.sweep, self.temperature,
                self.arrhenius, *self.figures.values())

    def clear(self) -> None:
        for panel in self.panels:
            panel.clear()
        self.sweep.hide()
        self.set_samples([])
        for figure in self.figures.values():
            figure.hide()
        self._kinds.clear()
        self._samples.clear()
        self._finished.clear()
        self._largest_Ohm = 0.0
        self._cursor = (0, 0, 0)

    def load_run(self, store: Store, run_id: int) -> None:
        """Replot run `run_id` from the store (what it has so far, if it is running)."""
        self.clear()
        self.set_run_sample(store.run(run_id).sample)
        self.follow(store, run_id)

    def set_run_sample(self, sample: dict) -> None:
        """A run's sample table: of several samples, their names and geometries; else its
        geometry."""
        if sample.get("samples"):
            self.arrhenius.set_samples(sample["samples"])
            self.set_samples([table["name"] for table in sample["samples"]])
        else:
            self.arrhenius.set_geometry(sample.get("thickness_m"), sample.get("area_m2"))

    def set_samples(self, names: list[str]) -> None:
        """The samples of a run with several, the selector's choices in this order (it
        shows while there are two or more; measurements add the samples they name)."""
        self.sample_box.blockSignals(True)
        self.sample_box.clear()
        self.sample_box.addItem(ALL_SAMPLES)
        self.sample_box.blockSignals(False)
        for panel in self.panels:        # one colour per sample, the same in every plot
            panel.order_samples(names)
        for name in names:
            self._add_sample(name)
        self._show_sample(ALL_SAMPLES)

    def _add_sample(self, name: str) -> None:
        if self.sample_box.findText(name) < 0:
            self.sample_box.addItem(name)
        self.sample_box.setVisible(self.sample_box.count() > 2)

    def _show_sample(self, *_) -> None:
        for plot in (*self.spectrum_panels, *self.figures.values()):
            plot.show_sample(self._shown())

    def _shown(self) -> str | None:
        """The sample chosen in the selector (None: all)."""
        choice = self.sample_box.currentText()
        return None if choice in (ALL_SAMPLES, "") else choice

    def follow(self, store: Store, run_id: int) -> int:
        """Add the points of run `run_id` stored since the last call; how many."""
        new = store.points_since(run_id, self._cursor)
        steps = store.steps(run_id)
        for step in steps:
            if step.id not in self._kinds:
                self.start_measurement(step.id, step.kind, step.temperature_K, step.sample)
        for step_id, z in new.impedance.items():
            self.add_impedance(step_id, z["time_s"], z["frequency_Hz"], z["impedance_Ohm"])
        for step_id, dc in new.dc.items():
            self.add_current(step_id, dc["time_s"], dc["voltage_V"], dc["current_A"])
        log = new.temperature
        if len(log):
            self.temperature.add(log["time_s"], log["temperature_K"], log["setpoint_K"])
        for step in steps:
            if step.status == "done" and step.result and step.id not in self._finished:
                self.finish_measurement(step.id, step.kind, step.result)
        self._cursor = new.cursor
        return len(new)

    def handle(self, event: ev.Event) -> None:
        if isinstance(event, ev.MeasurementStarted):
            self.start_measurement(event.step_id, event.kind, event.temperature_K,
                                   event.sample)
        elif isinstance(event, ev.PointRecorded):
            p = event.point
            if isinstance(p, ImpedancePoint):
                self.add_impedance(event.step_id, p.time_s, p.frequency_Hz, p.impedance_Ohm)
            elif isinstance(p, CurrentReading):
                self.add_current(event.step_id, p.time_s, p.voltage_V, p.current_A)
            elif isinstance(p, GasReading):
                self._running(event.step_id, "gas", {"time_s": p.time_s, "pO2_Pa": p.pO2_Pa})
        elif isinstance(event, ev.TemperatureRecorded):
            r = event.reading
            self.temperature.add(r.time_s, r.temperature_K, r.setpoint_K)
        elif isinstance(event, ev.MeasurementFinished) and event.status == "done":
            self.finish_measurement(event.step_id, event.kind, event.result)

    def start_measurement(self, step_id: int, kind: str, temperature_K: float | None,
                          sample: str | None = None) -> None:
        """Curves for measurement `step_id` (of `sample`, in a run with several) are made
        at its first point, in the plot of its stream, named by its temperature."""
        self._kinds[step_id] = (kind, temperature_K)
        self._samples[step_id] = sample
        if sample is not None:
            self._add_sample(sample)

    def _stream(self, step_id: int, table: str) -> tuple[str | None, float | None]:
        kind, temperature_K = self._kinds.get(step_id, (None, None))
        spec = registry.protocols().get(kind)
        return (spec.plot(table) if spec else DEFAULT[table]), temperature_K

    def add_impedance(self, step_id: int, time_s, frequency_Hz, impedance_Ohm) -> None:
        stream, temperature_K = self._stream(step_id, "impedance")
        sample = self._samples.get(step_id)
        self._running(step_id, "impedance", {"time_s": time_s, "frequency_Hz": frequency_Hz,
                                             "impedance_Ohm": impedance_Ohm})
        if stream == "monitor":
            self.temperature.add_monitor(step_id, temperature_K, time_s, frequency_Hz,
                                         impedance_Ohm, sample)
        elif stream == "spectrum":
            for plot in (self.nyquist, self.bode):
                plot.start(step_id, temperature_K, sample)
                plot.add(step_id, frequency_Hz, impedance_Ohm)

    def add_current(self, step_id: int, time_s, voltage_V, current_A) -> None:
        stream, temperature_K = self._stream(step_id, "dc")
        sample = self._samples.get(step_id)
        self._running(step_id, "dc", {"time_s": time_s, "voltage_V": voltage_V,
                                      "current_A": current_A})
        if stream == "sweep":
            self.sweep.show()
            self.sweep.start(step_id, temperature_K, sample)
            self.sweep.add(step_id, voltage_V, current_A)
        elif stream == "relaxation":
            self.current.start(step_id, temperature_K, sample)
            self.current.add(step_id, time_s, voltage_V, current_A)

    def _running(self, step_id: int, table: str, columns: dict) -> None:
        """Points of a running measurement (of store `table`) to its protocol's live
        figures that draw them."""
        kind, temperature_K = self._kinds.get(step_id, (None, None))
        spec = registry.protocols().get(kind)
        for figure in spec.figures if spec else ():
            if figure.live is not None and figure.live_from in (None, table):
                self._figure(kind, figure).add_points(step_id, temperature_K, columns,
                                                      self._samples.get(step_id))

    def finish_measurement(self, step_id: int, kind: str, result: dict) -> None:
        self._finished.add(step_id)
        temperature_K = self._kinds.get(step_id, (kind, None))[1]
        spec = registry.protocols().get(kind)
        if spec is None or not result:
            return
        typed, marks = spec.result(result), spec.marks
        resistance = marks.resistance(typed) if marks.resistance else None
        steady = marks.steady_A(typed) if marks.steady_A else None
        if resistance and temperature_K is not None:
            self.arrhenius.add(temperature_K, resistance, self._samples.get(step_id))
            self.nyquist.set_resistance(step_id, resistance)
            self._largest_Ohm = max(self._largest_Ohm, resistance)
            self.nyquist.zoom_to(self._largest_Ohm)
        if steady is not None:
            self.current.mark_steady(step_id, steady)
        for figure in spec.figures:
            self._figure(kind, figure).add(step_id, Finished(typed, temperature_K),
                                           self._samples.get(step_id))

    def _figure(self, kind: str, figure) -> FigurePlot:
        """The panel of protocol `kind`'s `figure`, shown (made at its first result)."""
        panel = self.figures.get((kind, figure.title))
        if panel is None:
            panel = self.figures[kind, figure.title] = FigurePlot(figure)
            panel.shown_sample = self._shown()
            self.bottom.addWidget(panel)
        panel.show()
        return panel
