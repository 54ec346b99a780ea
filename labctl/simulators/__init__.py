"""Simulated lab bench: physics of the sample and furnace (`simulators.physics`), the shared
simulated world they live in (`simulators.world`), and one simulated instrument per driver
that answers the real command set at the clock's current time."""
