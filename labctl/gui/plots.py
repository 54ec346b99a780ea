"""The live plots: Nyquist, Bode, I(t), I(V), T(t) with the sample monitor |Z|(t), and
Arrhenius, each a `PlotPanel`.

Each takes points as they arrive (scalars or arrays) under a key (the store's step id), and
draws them at the panel's next refresh. Impedance is plotted the electrochemist's way:
Nyquist with -Z'' up and equal axes, Bode as |Z| and -phase against log f.
"""

from __future__ import annotations

import numpy as np
from pyqtgraph import siFormat
from PySide6.QtGui import QTransform
from PySide6.QtWidgets import QCheckBox
from scipy.constants import Boltzmann, electron_volt

from labctl.gui.livecurve import LiveCurve
from labctl.gui.plotpanel import PlotPanel, celsius, duration
from labctl.positions import OFFSET
from labctl.units import K_to_C

SYMBOL = {"symbol": "o", "symbolSize": 5}


def _si(value: float, unit: str) -> str:
    return siFormat(value, precision=4, suffix=unit)


def _name(temperature_K: float | None, sample: str | None) -> str:
    """A curve's legend entry: its temperature, after its sample in a run with several."""
    return celsius(temperature_K) if sample is None else f"{sample} {celsius(temperature_K)}"


class _Spectra(PlotPanel):
    """Impedance spectra keyed by step id, one colour per temperature (per sample while
    several samples' are shown)."""

    def _build(self) -> None:
        self.spectra: dict[int, list[LiveCurve]] = {}

    def start(self, key: int, temperature_K: float | None, sample: str | None = None) -> None:
        if key not in self.spectra:
            self.spectra[key] = self._curves(temperature_K, sample)

    def _curves(self, temperature_K: float | None, sample: str | None) -> list[LiveCurve]:
        raise NotImplementedError

    def add(self, key: int, frequency_Hz, impedance_Ohm) -> None:
        z = np.asarray(impedance_Ohm, dtype=complex)
        f = np.asarray(frequency_Hz, dtype=float)
        if key not in self.spectra:
            self.start(key, None)
        for index, curve in enumerate(self.spectra[key]):
            curve.append(*self._columns(index, f, z))

    def _columns(self, index: int, f: np.ndarray, z: np.ndarray) -> tuple:
        """Buffer columns of the `index`-th curve of a spectrum: x, y, f, Z', Z''."""
        raise NotImplementedError


def _describe_z(temperature_K: float | None):
    return lambda row: (f"{celsius(temperature_K)}   f = {_si(row[2], 'Hz')}   "
                        f"Z' = {_si(row[3], 'Ω')}   -Z'' = {_si(-row[4], 'Ω')}")


class NyquistPlot(_Spectra):
    """-Z'' against Z' on equal axes; `set_fit` overlays a fitted spectrum (a solid black
    line over the data). *Z / R_ion* shows each finished spectrum divided by its R_ion
    (`set_resistance`), so arcs of very different size compare at one zoom."""

    def __init__(self):
        super().__init__("Nyquist")
        self.plot = self.add_plot(0, "Z'", "-Z''", "Ω", "Ω")
        self.plot.setAspectLocked(True)
        self.normalise = QCheckBox("Z / R_ion")
        self.normalise.setToolTip("Each spectrum divided by its ionic resistance (spectra "
                                  "still being measured are shown once they are finished)")
        self.normalise.toggled.connect(self._rescale)
        self.tools.insertWidget(1, self.normalise)
        self._build()

    def _build(self) -> None:
        super()._build()
        self.fits: dict[int, LiveCurve] = {}
        self._temperatures: dict[int, float | None] = {}
        self._samples: dict[int, str | None] = {}
        self.resistances: dict[int, float] = {}

    def set_resistance(self, key: int, resistance_Ohm: float) -> None:
        """R_ion of spectrum `key`, its scale in the normalised view."""
        self.resistances[key] = resistance_Ohm
        self._apply_scales()

    def _rescale(self, on: bool) -> None:
        """Switch between Z and Z / R_ion (labels, scales, all of it in view)."""
        units = None if on else "Ω"
        self.plot.setLabel("bottom", "Z' / R_ion" if on else "Z'", units=units)
        self.plot.setLabel("left", "-Z'' / R_ion" if on else "-Z''", units=units)
        self._apply_scales()
        if on:
            self.zoom_to(1.0, force=True)
        else:
            self.fit_all()

    def _apply_scales(self) -> None:
        """Every spectrum and fit at its scale: 1, or 1 / R_ion when normalised (a
        spectrum without R_ion is hidden then)."""
        on = self.normalise.isChecked()
        for key, curves in [*self.spectra.items(), *((k, [c]) for k, c in self.fits.items())]:
            r = self.resistances.get(key)
            scale = 1.0 / r if on and r else 1.0
            for curve in curves:
                curve.item.setVisible(self.visible(curve) and (not on or r is not None))
                curve.item.setTransform(QTransform.fromScale(scale, scale))

    def show_sample(self, sample: str | None) -> None:
        super().show_sample(sample)
        self._apply_scales()

    def _curves(self, temperature_K, sample):
        curve = LiveCurve(5, **SYMBOL)
        self.add_curve(self.plot, curve, temperature_K, _describe_z(temperature_K),
                       _name(temperature_K, sample), sample)
        curve.item.setVisible(self.visible(curve) and not self.normalise.isChecked())
        return [curve]                          # normalised: shown once its R_ion is known

    def start(self, key, temperature_K, sample=None):
        self._temperatures.setdefault(key, temperature_K)
        self._samples.setdefault(key, sample)
        super().start(key, temperature_K, sample)

    def _columns(self, index, f, z):
        return z.real, -z.imag, f, z.real, z.imag

    def zoom_to(self, resistance_Ohm: float, force: bool = False) -> None:
        """Show Z' from 0 to a little beyond `resistance_Ohm` (the arcs; a blocking
        electrode's spike would otherwise squeeze them into a corner), unless the user
        zoomed (or `force`); in the normalised view the arcs end near 1."""
        if (self.zoomed and not force) or (self.normalise.isChecked() and not force):
            return
        self.plot.vb.setRange(xRange=(0.0, 1.2 * resistance_Ohm),
                              yRange=(0.0, 0.6 * resistance_Ohm), padding=0.02)

    def set_fit(self, key: int, frequency_Hz, impedance_Ohm) -> None:
        """Overlay the model spectrum of a fit to spectrum `key` (replacing an earlier one)."""
        z = np.asarray(impedance_Ohm, dtype=complex)
        t = self._temperatures.get(key)
        if key not in self.fits:
            self.fits[key] = self.add_curve(self.plot, LiveCurve(5, colour="k", width=2.0), t,
                                            lambda row: "fit: " + _describe_z(t)(row),
                                            sample=self._samples.get(key))
            self.fits[key].item.setZValue(10)       # over the data
        self.fits[key].buffer.clear()
        self.fits[key].append(z.real, -z.imag, frequency_Hz, z.real, z.imag)
        self._apply_scales()


class BodePlot(_Spectra):
    """|Z| (log) and -phase against log f, x axes linked."""

    def __init__(self):
        super().__init__("Bode")
        self.magnitude = self.add_plot(0, "f / Hz", "|Z| / Ω")
        self.magnitude.setLogMode(x=True, y=True)
        self.phase = self.add_plot(1, "f / Hz", "-phase / °")
        self.phase.setLogMode(x=True, y=False)
        self.phase.setXLink(self.magnitude)
        self._build()

    def _curves(self, temperature_K, sample):
        describe = _describe_z(temperature_K)
        mag = self.add_curve(self.magnitude, LiveCurve(5, **SYMBOL), temperature_K,
                             lambda row: describe(row) + f"   |Z| = {_si(row[1], 'Ω')}",
                             _name(temperature_K, sample), sample)
        phase = self.add_curve(self.phase, LiveCurve(5, **SYMBOL), temperature_K,
                               lambda row: describe(row) + f"   -phase = {row[1]:.2f}°",
                               sample=sample)
        return [mag, phase]

    def _columns(self, index, f, z):
        return f, np.abs(z) if index == 0 else -np.degrees(np.angle(z)), f, z.real, z.imag


class CurrentPlot(PlotPanel):
    """I(t) of each DC polarization, time since its first point; `mark_steady` draws the
    steady-state current it reached (dashed) and marks where it was declared."""

    def __init__(self):
        super().__init__("I(t)")
        self.plot = self.add_plot(0, "t since step start", "I", y_units="A", time_axis=True)
        self._build()

    def _build(self) -> None:
        self.curves_by_key: dict[int, LiveCurve] = {}
        self._t0: dict[int, float] = {}
        self._temperatures: dict[int, float | None] = {}

    def start(self, key: int, temperature_K: float | None, sample: str | None = None) -> None:
        if key in self.curves_by_key:
            return
        self._temperatures[key] = temperature_K
        describe = lambda row: (f"{celsius(temperature_K)}   t = {duration(row[0])}   "
                                f"I = {_si(row[1], 'A')}   U = {_si(row[2], 'V')}")
        self.curves_by_key[key] = self.add_curve(self.plot, LiveCurve(3, clip=True),
                                                 temperature_K, describe,
                                                 _name(temperature_K, sample), sample)

    def add(self, key: int, time_s, voltage_V, current_A) -> None:
        if key not in self.curves_by_key:
            self.start(key, None)
        t = np.asarray(time_s, dtype=float)
        t0 = self._t0.setdefault(key, float(np.ravel(t)[0]))
        self.curves_by_key[key].append(t - t0, current_A, voltage_V)

    def mark_steady(self, key: int, current_A: float) -> None:
        """The steady-state current of curve `key`, declared at its last point."""
        curve = self.curves_by_key.get(key)
        if curve is None or not len(curve) or current_A is None:
            return
        t_end = float(curve.row(len(curve) - 1)[0])
        t = self._temperatures[key]
        describe = lambda row: f"{celsius(t)}   steady state I_ss = {_si(row[1], 'A')}"
        line = LiveCurve(3, dashed=True)
        line.append([0.0, t_end], [current_A, current_A], [np.nan, np.nan])
        marker = LiveCurve(3, pen=None, symbol="star", symbolSize=14)
        marker.append(t_end, current_A, np.nan)
        self.add_curve(self.plot, line, t, describe, sample=curve.sample)
        self.add_curve(self.plot, marker, t, describe, sample=curve.sample)


class SweepPlot(PlotPanel):
    """I(V) of each voltage sweep (stability window), one curve per sweep."""

    def __init__(self):
        super().__init__("I(V)")
        self.plot = self.add_plot(0, "U", "I", "V", "A")
        self._build()

    def _build(self) -> None:
        self.curves_by_key: dict[int, LiveCurve] = {}

    def start(self, key: int, temperature_K: float | None, sample: str | None = None) -> None:
        if key not in self.curves_by_key:
            describe = lambda row: (f"{celsius(temperature_K)}   U = {_si(row[0], 'V')}   "
                                    f"I = {_si(row[1], 'A')}")
            self.curves_by_key[key] = self.add_curve(self.plot, LiveCurve(2), temperature_K,
                                                     describe, _name(temperature_K, sample),
                                                     sample)

    def add(self, key: int, voltage_V, current_A) -> None:
        self.start(key, None)
        self.curves_by_key[key].append(voltage_V, current_A)


class TemperaturePlot(PlotPanel):
    """Furnace temperature and working set-point against time since the first reading;
    below, on the same time axis, the sample's |Z| at one frequency read while the
    temperature stabilizes (the sample as its own thermometer)."""

    def __init__(self):
        super().__init__("T(t)")
        self.plot = self.add_plot(0, "t since run start", "T / °C", legend_offset=(-10, -40),
                                  time_axis=True)
        self.monitor = self.add_plot(1, "t since run start", "|Z| at f_ref / Ω",
                                     time_axis=True)
        self.monitor.setLogMode(y=True)
        self.monitor.setXLink(self.plot)
        self.plot.setLabel("bottom", "")          # the monitor's axis below names it
        self.graphics.ci.layout.setRowStretchFactor(0, 2)
        self._build()

    def _build(self) -> None:
        describe = lambda row: (f"t = {duration(row[0])}   T = {row[1]:.2f} °C   "
                                f"set-point = {row[2]:.2f} °C")
        self.temperature = self.add_curve(self.plot, LiveCurve(3, clip=True, colour="#d62728"),
                                          None, describe, "T")
        self.setpoint = self.add_curve(self.plot, LiveCurve(3, clip=True, colour="#555555",
                                                            dashed=True), None,
                                       lambda row: describe(row[[0, 2, 1]]), "set-point")
        self.monitors: dict[int, LiveCurve] = {}
        self._t0: float | None = None

    def _since_start(self, time_s) -> np.ndarray:
        t = np.asarray(time_s, dtype=float)
        if self._t0 is None:
            self._t0 = float(np.ravel(t)[0])
        return t - self._t0

    def add(self, time_s, temperature_K, setpoint_K) -> None:
        t = self._since_start(time_s)
        t_C = K_to_C(np.asarray(temperature_K))
        sp_C = K_to_C(np.asarray(setpoint_K))
        self.temperature.append(t, t_C, sp_C)
        self.setpoint.append(t, sp_C, t_C)

    def add_monitor(self, key: int, temperature_K: float | None, time_s, frequency_Hz,
                    impedance_Ohm, sample: str | None = None) -> None:
        """|Z| readings of stabilization `key` (target `temperature_K`, of `sample`)."""
        if key not in self.monitors:
            describe = lambda row: (f"stabilizing at {celsius(temperature_K)}   "
                                    f"t = {duration(row[0])}   f = {_si(row[2], 'Hz')}   "
                                    f"|Z| = {_si(row[1], 'Ω')}")
            self.monitors[key] = self.add_curve(self.monitor, LiveCurve(3, **SYMBOL),
                                                temperature_K, describe,   # T(t) names it
                                                sample=sample)
        self.monitors[key].append(self._since_start(time_s), np.abs(impedance_Ohm),
                                  frequency_Hz)


class ArrheniusPlot(PlotPanel):
    """log10(sigma*T) (or log10(T/R) without the sample geometry) against 1000/T, one point
    per spectrum; the title gives the activation energy of a straight-line fit. In a run
    with several samples (`set_samples`), each sample's points and Ea, one colour each."""

    def __init__(self):
        super().__init__("Arrhenius")
        self.plot = self.add_plot(0, "1000 / T / K⁻¹", "")
        self.geometry: tuple[float, float] | None = None
        self.sample_geometries: dict[str, tuple[float, float] | None] = {}
        self.sample_offsets_K: dict[str, float] = {}   # of a calibrated pellet position
        self.set_geometry(None, None)
        self._build()

    def _build(self) -> None:
        self.points = self.add_curve(self.plot, LiveCurve(4, pen=None, colour="#1f77b4",
                                                          **SYMBOL | {"symbolSize": 9}),
                                     None, self._describe)
        self.by_sample: dict[str, LiveCurve] = {}
        self.plot.setTitle("")

    def set_geometry(self, thickness_m: float | None, area_m2: float | None) -> None:
        """Sample thickness and area: with them the plot shows sigma*T, else T/R."""
        self.geometry = _geometry(thickness_m, area_m2)
        self.sample_geometries, self.sample_offsets_K = {}, {}
        self._label()

    def set_samples(self, tables: list[dict]) -> None:
        """The sample tables of a run with several (name, thickness_m, area_m2, the
        position's temperature_offset_K): sigma*T when each has its geometry, else T/R for
        all; each at its own temperature (thermocouple + offset)."""
        self.geometry = None
        self.sample_geometries = {t["name"]: _geometry(t.get("thickness_m"), t.get("area_m2"))
                                  for t in tables}
        self.sample_offsets_K = {t["name"]: t.get(OFFSET, 0.0) for t in tables}
        self._label()

    def _sigma_T(self) -> bool:
        if self.sample_geometries:
            return all(self.sample_geometries.values())
        return self.geometry is not None

    def _label(self) -> None:
        self.plot.setLabel("left", "log₁₀(σT / S K m⁻¹)" if self._sigma_T()
                           else "log₁₀(T/R / K Ω⁻¹)")

    def add(self, temperature_K: float, resistance_Ohm: float,
            sample: str | None = None) -> None:
        if not resistance_Ohm or not np.isfinite(resistance_Ohm) or resistance_Ohm <= 0:
            return
        if sample is not None and sample not in self.sample_geometries:
            self.sample_geometries[sample] = None     # no geometry known: T/R for all
            self._label()
        geometry = (self.sample_geometries.get(sample) if sample is not None
                    else self.geometry) if self._sigma_T() else None
        factor = geometry[0] / geometry[1] if geometry else 1.0
        temperature_K += self.sample_offsets_K.get(sample, 0.0)
        self._curve(sample).append(1000.0 / temperature_K,
                                   np.log10(factor * temperature_K / resistance_Ohm),
                                   temperature_K, resistance_Ohm)
        if self.by_sample:
            found = {s: self.activation_energy_eV(s) for s in self.by_sample}
            text = ", ".join(f"{s} {ea:.3f}" for s, ea in found.items() if ea is not None)
            self.plot.setTitle(f"E<sub>a</sub> ≈ {text} eV" if text else "", size="9pt")
            return
        ea = self.activation_energy_eV()
        if ea is not None:
            self.plot.setTitle(f"E<sub>a</sub> ≈ {ea:.3f} eV ({len(self.points)} points)",
                               size="9pt")   # short: a title sets the plot's least width

    def _curve(self, sample: str | None) -> LiveCurve:
        """The points of `sample` (the run's only sample: None)."""
        if sample is None:
            return self.points
        if sample not in self.by_sample:
            self.by_sample[sample] = self.add_curve(
                self.plot, LiveCurve(4, pen=None, **SYMBOL | {"symbolSize": 9}), None,
                self._describe, sample, sample)
        return self.by_sample[sample]

    def activation_energy_eV(self, sample: str | None = None) -> float | None:
        """From the slope of ln(sigma*T) against 1/T (of `sample`'s points in a run with
        several); None below two temperatures."""
        inv_T, log_y = self._curve(sample).buffer.columns()[:2]
        if len(set(inv_T.tolist())) < 2:
            return None
        slope = np.polyfit(inv_T / 1000.0, log_y * np.log(10.0), 1)[0]
        return float(-slope * Boltzmann / electron_volt)

    def _describe(self, row: np.ndarray) -> str:
        return f"{celsius(row[2])}   R = {_si(row[3], 'Ω')}   log₁₀ y = {row[1]:.4f}"


def _geometry(thickness_m: float | None, area_m2: float | None) -> tuple[float, float] | None:
    return (thickness_m, area_m2) if thickness_m and area_m2 else None
