"""A bench process starting again: opening the store replays what its spool holds,
logging each replayed write to stdout. Usage: python replay_proc.py URL SPOOL"""

from __future__ import annotations

import logging
import sys

from labctl.store import Store

if __name__ == "__main__":
    logging.basicConfig(stream=sys.stdout, level=logging.DEBUG, format="%(message)s")
    with Store.open(sys.argv[1], spool=sys.argv[2]):
        print("replayed all", flush=True)
