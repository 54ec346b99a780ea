"""Instrument drivers: one module per instrument family, registered as `labctl.drivers` entry points."""
