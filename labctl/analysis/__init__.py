"""Analysis of measured runs (numpy/scipy only): circuit fits, Kramers-Kronig checks,
quantities and reports.

`circuits` parses impedance.py-style circuit strings, `fit` fits them (automatic starting
values from `initial`), `kk` checks spectra (Lin-KK).
"""
