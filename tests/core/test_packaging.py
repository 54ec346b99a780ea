"""What a user gets from the installed package: examples copied out, shipped samples by
name, the GUI extra named when missing. (`.ci/wheel-check` runs the built wheel.)"""

import importlib.util
import tomllib
from pathlib import Path

import pytest

from labctl import __version__
from labctl.cli import main
from labctl.commands import gui
from labctl.errors import LabctlError
from labctl.simulators.physics.sample_file import locate, shipped_names, shipped_sample


def test_examples_are_copied_out_and_run_from_there(tmp_path, capsys):
    out = tmp_path / "mine"
    assert main(["examples", "--out", str(out)]) == 0
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.toml"))
    assert "arrhenius.toml" in names and "samples/ysz.toml" in names
    assert len(names) >= 8
    for path in out.rglob("*.toml"):
        tomllib.loads(path.read_text())                    # each one a valid TOML file
    edited = out / "arrhenius.toml"
    edited.write_text("# mine\n")
    assert main(["examples", "--out", str(out)]) == 0      # a second copy keeps edits
    assert edited.read_text() == "# mine\n"
    assert "kept" in capsys.readouterr().out


def test_a_shipped_sample_is_found_by_name_and_a_path_relative_to_its_file(tmp_path):
    assert {"default", "ysz", "li-peo"} <= set(shipped_names())
    assert locate("ysz") == shipped_sample("ysz") and shipped_sample("ysz").is_file()
    assert locate("my.toml", tmp_path) == tmp_path / "my.toml"
    assert locate("my.toml") == Path("my.toml")


def test_copying_onto_the_shipped_examples_is_refused(monkeypatch, capsys):
    monkeypatch.chdir(Path(__file__).parents[2])           # the checkout: examples/ -> shipped
    assert main(["examples"]) == 1
    assert "is the shipped examples folder itself" in capsys.readouterr().err
    assert not (Path("examples") / "samples").exists()


def test_the_gui_names_the_extra_it_needs(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "pyqtgraph" else real(name, *a))
    with pytest.raises(LabctlError, match=r"pyqtgraph.*labctl-ionics\[gui\]"):
        gui.require_gui_extra()


def test_version_is_the_packages(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0 and capsys.readouterr().out.strip() == f"labctl {__version__}"
