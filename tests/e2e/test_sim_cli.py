"""`labctl sim` serves the simulated bench on real links; `labctl bench check` reaches it."""

import signal
import subprocess
import sys

from labctl.cli import main


def test_bench_check_on_the_built_in_sim_bench(capsys):
    assert main(["bench", "check", "sim"]) == 0
    out = capsys.readouterr().out
    assert "SCHLUMBERGER TECHNOLOGIES, 1260" in out
    assert "KEITHLEY INSTRUMENTS,MODEL 2450" in out
    assert "left in their safe state" in out


def test_sim_serves_a_bench_that_bench_check_can_open(tmp_path):
    bench_file = tmp_path / "served.toml"
    server = subprocess.Popen(
        [sys.executable, "-m", "labctl.cli", "sim", "--speed", "10", "--seed", "3",
         "--write-bench", str(bench_file)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        banner = []
        for line in server.stdout:  # blocks until the server has printed its resources
            banner.append(line)
            if line.startswith("Serving"):
                break
        text = "".join(banner)
        assert "TCPIP::127.0.0.1::" in text and "/dev/pts/" in text
        check = subprocess.run([sys.executable, "-m", "labctl.cli", "bench", "check",
                                str(bench_file)], capture_output=True, text=True, timeout=120)
        assert check.returncode == 0, check.stderr
        assert "SCHLUMBERGER TECHNOLOGIES, 1260" in check.stdout
        assert "KEITHLEY INSTRUMENTS,MODEL 2450" in check.stdout
        assert "eurotherm3216" in check.stdout
    finally:
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=30)
    assert server.returncode == 0, err
    assert "Stopped." in out
