"""Both mass-flow-controller drivers on a faulty link: no reply is a timeout, a garbled
reply an error, and the next exchange works again (a late reply never taken for it)."""

import pytest

from labctl.clock import VirtualClock
from labctl.errors import InstrumentTimeout, ReplyError
from labctl.simulators.world import SimWorld
from tests.drivers import test_alicat, test_bronkhorst


@pytest.mark.parametrize("make, flow_sccm", [(test_bronkhorst.make, 5.0),
                                             (test_alicat.make, 50.0)])
def test_no_reply_is_a_timeout_and_a_garbled_reply_an_error_then_it_works_again(make, flow_sccm):
    device, _, driver = make(SimWorld.create(clock=VirtualClock(), seed=0))
    driver.set_flow(flow_sccm)
    device.inject("no_reply")
    with pytest.raises(InstrumentTimeout):
        driver.read()
    device.inject("garble")
    with pytest.raises(ReplyError):
        driver.read()
    assert driver.read().flow_sccm == flow_sccm
