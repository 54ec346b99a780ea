"""A synthetic impedance spectrum with known values."""

import numpy as np

FREQUENCIES_HZ = np.logspace(6, -1, 36)
# bulk R || C in series with an electrode capacitance: Z'' < 0 throughout
SPECTRUM_OHM = (1e3 / (1 + 2j * np.pi * FREQUENCIES_HZ * 1e3 * 1e-9)
                + 1 / (2j * np.pi * FREQUENCIES_HZ * 1e-5))
