"""Faults on served simulated instruments, one command per line (`labctl sim` reads them
from its standard input), so a program under test meets a failing link as it would in a lab:

    fra garble 3          the next 3 replies of `fra` garbled (no_reply, delay, error alike)
    furnace delay 2 30    its next 2 replies 30 s late (simulated time)
    smu disconnect        its link drops at the next reply (a TCP session is reset)
    smu unplug            switched off: its port refuses connections, its pty is gone
    smu plug              back on its TCP port (a pty gets a new path: see the reply)

`apply` returns the line to print: what was done, or what is wrong with the command.
"""

from __future__ import annotations

from typing import Any

from labctl.simulators.device import FAULTS

USAGE = (f"NAME {{{'|'.join(FAULTS)}}} [COUNT] [SECONDS], NAME unplug or NAME plug")


def apply(simulation: Any, line: str) -> str:
    """Carry out one command line on a serving `SimBench`."""
    words = line.split()
    if len(words) < 2:
        return f"? expected {USAGE}"
    name, action, *numbers = words
    if name not in simulation.devices:
        return f"? no instrument {name!r}; served: {', '.join(simulation.devices)}"
    try:
        count, seconds = [int(numbers[0]) if numbers else 1,
                          float(numbers[1]) if len(numbers) > 1 else 0.0]
    except ValueError:
        return f"? COUNT must be an integer and SECONDS a number: {line.strip()!r}"
    if action == "unplug":
        simulation.unplug(name)
        return f"{name} unplugged"
    if action == "plug":
        return f"{name} plugged in at {simulation.plug(name)}"
    if action not in FAULTS or len(numbers) > 2 or count < 1:
        return f"? expected {USAGE}"
    simulation.devices[name].inject(action, count=count, seconds=seconds)
    return f"{name}: next {count} repl{'y' if count == 1 else 'ies'} {action}"
