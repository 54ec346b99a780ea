"""Spectra whose arcs all lie outside the measured range (library samples too fast for a
1 MHz analyzer): the analysis says so after one small fit instead of crawling through the
pellet circuit (s04147 at 400-500 degC took ~10 s a spectrum, Na-beta''-alumina ~40 s),
and no arc of a fit that does not describe the spectrum counts as seen."""

import dataclasses

import numpy as np
import pytest
from scipy.constants import zero_Celsius

from labctl.analysis import quantities as q
from labctl.analysis.analysis import DEFAULT_CIRCUIT, analyze
from labctl.analysis.dataset import Dataset, Plateau
from labctl.analysis.fit import (OFFSET_CIRCUIT, OFFSET_MAX_NFEV_PER_PARAMETER, fit,
                                 offset_only)
from labctl.simulators.physics.sample import SampleModel
from labctl.simulators.physics.sample_file import locate
from tests.analysis.samples import spectrum

FREQUENCIES_HZ = np.logspace(6, -1, 36)


def library_spectrum(name: str, T_C: float, seed: int = 0):
    sample = SampleModel.from_toml(locate(name))
    return (sample, *spectrum(sample, T_C + zero_Celsius, seed, FREQUENCIES_HZ))


@pytest.mark.parametrize("name, T_C", [("na-beta-alumina", 300), ("s04147", 450),
                                       ("llzo", 400), ("latp", 500)])
def test_no_arc_in_range_is_said_after_one_small_fit(name, T_C):
    """The offset (R_b + R_gb + leads) within 2 %, no arc seen, no Ea, a note naming the
    temperature; the fit stays within its small budget."""
    sample, f, z = library_spectrum(name, T_C)
    T_K = T_C + zero_Celsius
    data = Dataset(name, sample.sample.thickness_m, sample.sample.area_m2,
                   [Plateau(T_K, f"{T_C} C", f, z)])
    result = analyze(data)
    (plateau,) = result.plateaus
    assert plateau.fit.circuit == OFFSET_CIRCUIT and plateau.arcs == []
    assert plateau.fit.nfev <= OFFSET_MAX_NFEV_PER_PARAMETER * 6
    r = sample.resistances(T_K)
    offset = r["bulk"] + r["grain_boundary"] + sample.leads.series_resistance_Ohm
    assert plateau.R_Ohm["total"] == pytest.approx(offset, rel=0.02)
    assert 0 < plateau.R_std_Ohm["total"] < 0.02 * offset
    assert not any(plateau.seen.values())
    assert any(note.startswith(f"{T_K:.2f} K: no arc in the measured range")
               for note in result.notes)
    assert result.arrhenius["total"] is None


@pytest.mark.parametrize("name, T_C", [("8ysz", 250), ("gdc10", 150), ("s04147", 170),
                                       ("s04147", 300), ("gdc10", 350)])
def test_a_spectrum_with_an_arc_in_range_is_not_an_offset(name, T_C):
    """Arcs inside the range, or their tails at its top (s04147 at 300 degC, gdc10 at 350:
    the offset fits those within 10x, but not 2x, the noise), go to the pellet circuit."""
    _, f, z = library_spectrum(name, T_C)
    assert offset_only(f, z) is None


def test_arcs_of_a_fit_far_from_the_data_are_not_seen():
    """The pellet circuit (no inductance) on Na-beta''-alumina's inductive spectrum: rms
    tens of %, a misfit, no arc seen; and the same good 8YSZ fit whose arcs are seen sees
    none once its rms is far above the noise."""
    _, f, z = library_spectrum("na-beta-alumina", 350)
    bad = fit(f, z, DEFAULT_CIRCUIT, max_nfev=300)
    assert bad.success and bad.misfit
    assert not any(arc.seen or arc.resolved for arc in q.arcs(bad, None, f))
    _, f, z = library_spectrum("8ysz", 250)
    good = fit(f, z, DEFAULT_CIRCUIT)
    assert not good.misfit and all(arc.seen for arc in q.arcs(good, None, f)[:2])
    far = dataclasses.replace(good, rms_relative=20 * max(good.noise_relative, 0.01))
    assert far.misfit and not any(arc.seen for arc in q.arcs(far, None, f))
