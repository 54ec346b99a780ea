"""Analysis of measured data (numpy/scipy only)."""
