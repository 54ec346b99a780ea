"""Experiment protocols: one module per experiment, written against labctl.capabilities."""
