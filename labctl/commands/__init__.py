"""CLI subcommands: one module each, exposing `register(subparsers)`.

`register` adds its parser and sets `func=handler`, where `handler(args) -> int` is the
exit code. Modules import heavy libraries (Qt, scipy, pyvisa) inside the handler only, so
that `labctl --help` stays fast.
"""

COMMAND_MODULES = (
    "run",
    "attach",
    "demo",
    "runs",
    "control",
    "export",
    "analyze",
    "protocols",
    "resources",
    "bench",
    "sim",
    "gui",
    "serve",
    "examples",
)


def bench_help() -> str:
    """The `--bench` help: a file or one of the shipped simulated benches, by name."""
    from labctl.simulators import builtin_benches

    return "bench TOML file, or a built-in simulated bench: " + ", ".join(builtin_benches())
