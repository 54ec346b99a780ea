"""`labctl run`: exit status and messages (the long paths: tests/e2e/test_demo.py and
test_kill_resume.py)."""

from __future__ import annotations

from labctl.cli import main
from labctl.store import Store
from tests.runner.toy_protocols import HOT_SIM

EIS = '[sample]\nname = "p"\n[[steps]]\nprotocol = "eis"\nstart_Hz = 1e5\nstop_Hz = 10.0\n'


def write(tmp_path, name, text):
    (tmp_path / name).write_text(text)
    return str(tmp_path / name)


def test_a_done_run_exits_0_with_a_summary(tmp_path, capsys):
    bench, recipe = write(tmp_path, "b.toml", HOT_SIM), write(tmp_path, "r.toml", EIS)
    db = str(tmp_path / "lab.sqlite")
    assert main(["run", recipe, "--bench", bench, "--db", db, "--seed", "3",
                 "--sample", "labctl/simulators/samples/default.toml"]) == 0
    out = capsys.readouterr().out
    assert "run 1 done" in out and "steps[1]/eis" in out and "real time" in out
    with Store.open(db) as store:
        (step,) = store.steps(1)
        assert step.result["r_ion_Ohm"] > 0 and step.points >= 41  # 10 per decade


def test_a_failed_run_exits_1_with_the_reason(tmp_path, capsys):
    recipe = write(tmp_path, "r.toml", EIS)      # on `sim` the pellet is at 25 degC
    assert main(["run", recipe, "--bench", "sim", "--db", str(tmp_path / "lab.sqlite")]) == 1
    assert "run 1 failed: fra: current below the measurable range" in capsys.readouterr().out
    with Store.open(tmp_path / "lab.sqlite") as store:          # `labctl runs --bench sim`
        assert [run.bench_name for run in store.runs(bench="sim")] == ["sim"]


def test_usage_errors_exit_1_without_a_traceback(tmp_path, capsys):
    recipe = write(tmp_path, "r.toml", EIS)
    real = write(tmp_path, "real.toml", '[instruments.fra]\ndriver = "solartron1260"\n'
                                        'resource = "TCPIP::10.0.0.9::5025::SOCKET"\n')
    db = str(tmp_path / "lab.sqlite")
    cases = [
        (["run", "--bench", "sim"], "give a RECIPE file or --resume RUN_ID"),
        (["run", recipe, "--bench", real, "--seed", "1"], "apply to simulated benches only"),
        (["run", "--resume", "7", "--bench", "sim", "--db", db], "no such database"),
    ]
    for argv, message in cases:
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err


def test_only_an_unfinished_run_resumes(tmp_path, capsys):
    bench, recipe = write(tmp_path, "b.toml", HOT_SIM), write(tmp_path, "r.toml", EIS)
    db = str(tmp_path / "lab.sqlite")
    assert main(["run", recipe, "--bench", bench, "--db", db]) == 0
    capsys.readouterr()
    assert main(["run", "--resume", "1", "--bench", bench, "--db", db]) == 1
    assert "run 1 is done, only an interrupted, failed or aborted run resumes" in \
        capsys.readouterr().err
