"""The command line: help, version, lazy imports, resources, bench errors."""

import subprocess
import sys

import pytest

from labctl import __version__
from labctl.cli import main

HEAVY = ("PySide6", "pyqtgraph", "scipy", "numpy", "pyvisa", "serial", "matplotlib")


def test_help_lists_commands(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for command in ("resources", "bench", "sim"):
        assert command in out


def test_version(capsys):
    with pytest.raises(SystemExit):
        main(["--version"])
    assert __version__ in capsys.readouterr().out


def test_help_imports_no_heavy_library():
    code = ("import sys; from labctl.cli import build_parser; build_parser(); "
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    assert out.strip() == "[]"


def test_console_script_runs():
    result = subprocess.run(["labctl", "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and __version__ in result.stdout


def test_resources_lists_serial_and_visa(capsys):
    assert main(["resources"]) == 0
    out = capsys.readouterr().out
    assert "Serial ports" in out and "VISA resources" in out


def test_bench_check_reports_config_errors(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[instruments.x]\ndriver = "nonexistent"\nresource = "loop://"\n')
    assert main(["bench", "check", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:2 [instruments.x.driver]" in err and "unknown driver" in err


@pytest.mark.parametrize("command", [["run"], ["gui"], ["bench", "check"], ["sim"]])
def test_the_bench_help_names_every_shipped_simulated_bench(command, capsys):
    """The help once named two of six; it now lists the shipped files."""
    from labctl.simulators import builtin_benches

    with pytest.raises(SystemExit):
        main([*command, "--help"])
    out = " ".join(capsys.readouterr().out.split()).replace("- ", "-")
    assert {"sim", "sim-gas", "sim-buffer", "sim-emf", "sim-full", "sim-multi"} <= \
        set(builtin_benches())
    assert all(name in out for name in builtin_benches())
