"""labctl: run solid-state ion-conductor experiments on real or simulated lab benches."""

__version__ = "0.1.0"
