"""A simulated bench, a database and a runner that is always closed."""

from __future__ import annotations

import pytest

from labctl.bench import load_bench, open_bench
from labctl.runner import Runner


@pytest.fixture
def bench():
    with open_bench(load_bench("sim")) as b:
        yield b


@pytest.fixture
def db(tmp_path):
    return tmp_path / "lab.sqlite"


@pytest.fixture
def make_runner(bench, db):
    made = []

    def make(recipe, **kwargs):
        runner = Runner(recipe, bench, db, **kwargs)
        made.append(runner)
        return runner
    yield make
    for runner in made:
        runner.close()
