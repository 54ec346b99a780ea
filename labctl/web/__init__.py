"""`labctl serve`: a read-only web view of a labctl database (runs, one run live, plots)."""
