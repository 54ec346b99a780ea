"""Protocols describe themselves: every registered declaration is complete and consistent
with its own Params and Result, typed results read back what the store holds, and no
module outside the protocol files names a protocol kind."""

from __future__ import annotations

import ast
import dataclasses
import io
import json
import tokenize
import typing
from pathlib import Path

import pytest

from labctl import registry
from labctl.protocol import FINAL, PLATEAU
from labctl.protocols import _params

PACKAGE = Path(__file__).parents[2] / "labctl"
SPECS = list(registry.protocols().values())
PLOTS = {"impedance": {"spectrum", "monitor", None}, "dc": {"relaxation", "sweep", None},
         "gas": {None}}
# literals equal to a kind that mean something else: a simulated sample's physics section
ELSEWHERE = {("simulators/physics/sample_file.py", "transference")}


def string_literals(path: Path) -> list[tuple[int, str]]:
    """(line, value) of every plain string literal of a Python file (docstrings and
    f-strings are whole texts, never equal to a kind)."""
    found = []
    for token in tokenize.generate_tokens(io.StringIO(path.read_text()).readline):
        if token.type == tokenize.STRING:
            try:
                value = ast.literal_eval(token.string)
            except ValueError:     # an f-string
                continue
            if isinstance(value, str):
                found.append((token.start[0], value))
    return found


def test_no_module_outside_the_protocol_files_names_a_protocol_kind():
    kinds = set(registry.protocols())
    named = [f"{path.relative_to(PACKAGE)}:{line}: {value!r}"
             for path in sorted(PACKAGE.rglob("*.py"))
             if PACKAGE / "protocols" not in path.parents
             for line, value in string_literals(path)
             if value in kinds and (path.relative_to(PACKAGE).as_posix(), value) not in ELSEWHERE]
    assert named == []


def test_the_scan_finds_a_kind_named_in_code(tmp_path):
    source = tmp_path / "consumer.py"
    source.write_text('"""A module about eis."""\nif kind == "eis":\n    pass\nf"{kind}"\n')
    assert string_literals(source) == [(1, "A module about eis."), (2, "eis")]


def test_labctl_registers_its_protocols_with_one_plateau_and_one_final_stage():
    assert {"stabilize", "eis", "dc_polarization", "stability_window", "transference",
            "cool_down"} <= set(registry.protocols())
    assert registry.staged(PLATEAU).kind == "stabilize"
    assert registry.staged(FINAL).kind == "cool_down"
    assert registry.role_capabilities().keys() == {"fra", "smu", "furnace", "o2", "n2", "co",
                                                   "co2", "o2sensor", "voltmeter", "switch",
                                                   "load"}


@pytest.mark.parametrize("spec", SPECS, ids=[s.kind for s in SPECS])
def test_a_declaration_names_only_its_own_parameters_and_result_fields(spec):
    params = {f.name for f in dataclasses.fields(spec.Params)}
    results = {f.name for f in dataclasses.fields(spec.Result)}
    assert all(d.doc for d in _params.describe(spec.Params)), "every parameter documented"
    assert set(spec.limits) <= params and set(spec.form) <= params
    hints = typing.get_type_hints(spec.Params)
    assert all(set(typing.get_args(hints[n]) or {hints[n]}) - {type(None)} <= {float, int}
               for n in spec.form), "a short form has number fields only"
    assert {r.when for r in spec.roles if r.when} <= params
    assert {s.key for s in spec.summary} | {s.std for s in spec.summary if s.std} <= results
    assert all(s.plot in PLOTS[s.table] for s in spec.streams)
    assert {q.role for q in spec.limits.values()} <= {r.name for r in spec.roles}, \
        "a limited parameter is set on an instrument of a role the protocol declares"
    assert spec.doc.strip() and spec.title


def test_a_typed_result_reads_back_what_the_store_holds():
    from labctl.protocols import dc_polarization

    result = dc_polarization.Result(0.1, 1e-6, 1e-8, 1e-10, False, 0.99, 1e-4, "eis",
                                    "steady_state", 100.0, "power_law", {"a": 1.0}, "")
    stored = json.loads(json.dumps(result.to_dict()))
    assert registry.result_of("dc_polarization", stored) == result
    old = {k: v for k, v in stored.items() if k != "Iss_is_bound"}   # stored before it was
    assert registry.result_of("dc_polarization", old).Iss_is_bound is None
    assert registry.result_of("dc_polarization", None) is None
