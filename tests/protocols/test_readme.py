"""The README's Python example runs all four protocols on the simulated bench."""

import re
from pathlib import Path

README = Path(__file__).parents[2] / "README.md"


def test_readme_protocol_example_runs(tmp_path, monkeypatch, capsys):
    section = README.read_text().split("### Protocols from Python", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)[1]
    monkeypatch.chdir(tmp_path)
    exec(compile(code, str(README), "exec"), {})
    printed = capsys.readouterr().out
    numbers = dict(re.findall(r"(t_ion|R_ion) = ([0-9.e+]+)", printed))
    assert 0.99 < float(numbers["t_ion"]) < 1 and float(numbers["R_ion"]) > 0
    assert re.search(r"window -1\.\d\d \.\. 2\.\d\d V", printed)
