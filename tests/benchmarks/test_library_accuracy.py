"""benchmarks/library_accuracy.py's programs: the example recipe at each library sample's own
temperatures is a valid recipe for the simulated bench, its plateaus and stability window
where the script says."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from scipy.constants import zero_Celsius

from labctl.bench import load_bench
from labctl.recipe import load_recipe
from labctl.simulators.physics.sample_file import shipped_names

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "library_accuracy.py"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("library_accuracy", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_library_is_shipped(script):
    assert set(script.LIBRARY) <= set(shipped_names())


def test_each_samples_own_program_is_the_example_at_its_temperatures(script, tmp_path):
    example = load_recipe(script.EXAMPLE, load_bench("sim"))
    for sample, temperatures_C in script.OWN_C.items():
        path = tmp_path / f"{sample}.toml"
        path.write_text(script.recipe_text(temperatures_C))
        recipe = load_recipe(path, load_bench("sim"))
        targets = [s.params.target_K for s in recipe.steps if s.kind == "stabilize"]
        assert targets == pytest.approx([t + zero_Celsius for t in temperatures_C])
        window = [s for s in recipe.steps if s.kind == "stability_window"]
        assert len(window) == 1 and window[0].position.temperature_K == pytest.approx(targets[-1])
        assert len(recipe.steps) == len(example.steps) - 4 * (5 - len(temperatures_C))
