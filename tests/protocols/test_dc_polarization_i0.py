"""Where the DC polarization takes I_0 from: the plateau's spectrum unless told not to."""

import pytest

from labctl.protocols import dc_polarization as dc, eis_sweep
from tests.protocols.simbench import sim_context

EIS = eis_sweep.Params(adaptive_low_frequency=True)


@pytest.mark.parametrize("i0_from_eis", [True, False])
def test_i0_from_eis_false_takes_the_first_reading_despite_a_spectrum(tmp_path, i0_from_eis):
    """And the warning says why (it used to say there was no spectrum)."""
    with sim_context(tmp_path) as (ctx, _):
        r_ion = eis_sweep.run(ctx, EIS).r_ion_Ohm
        result = dc.run(ctx, dc.Params(max_duration_s=60.0, i0_from_eis=i0_from_eis))
    first = ctx.of_kind("dc_polarization")[0].points[0].current_A
    warned = any("i0_from_eis = false, I_0 is the first reading" in text
                 for level, text in ctx.events if level == "warning")
    if i0_from_eis:
        assert (result.I0_source, result.I0_A, warned) == ("eis", result.voltage_V / r_ion, False)
    else:
        assert (result.I0_source, result.I0_A, warned) == ("first_reading", first, True)
        assert result.t_ion == pytest.approx(1 - result.Iss_A / first)
