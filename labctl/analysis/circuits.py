"""Equivalent circuits from impedance.py-style strings, e.g. `R0-p(R1,CPE1)-p(R2,CPE2)-CPE3`.

Syntax: `-` joins elements in series, `p(a,b,...)` puts its comma-separated branches in
parallel; branches may themselves be series chains or nested `p(...)`. An element is a
type name followed by a label (`R0`, `CPE1`, `Wo2`); each label appears once. Parameter
names follow impedance.py: `R0` for one-parameter elements, `CPE1_0`, `CPE1_1` otherwise.
The string is parsed here (never `eval`'d), so a bad string is a `CircuitError` naming the
position, not a Python error.

Elements (omega = 2 pi f, SI units):
  R    Z = R                                        (Ohm)
  C    Z = 1 / (j omega C)                          (F)
  L    Z = j omega L                                (H)
  CPE  Z = 1 / (Q (j omega)^n)                      (Q in F s^(n-1); 0 < n <= 1)
  W    Z = A_W (1 - j) / sqrt(omega)                (semi-infinite Warburg; Ohm s^-1/2)
  Wo   Z = Z0 coth(sqrt(j omega tau)) / sqrt(j omega tau)   (open Warburg; Ohm, s)
  Ws   Z = Z0 tanh(sqrt(j omega tau)) / sqrt(j omega tau)   (short Warburg; Ohm, s)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import numpy as np

from labctl.errors import LabctlError


class CircuitError(LabctlError):
    """A circuit string that does not parse, or parameters that do not fit it."""


@dataclass(frozen=True)
class ElementType:
    name: str
    units: tuple[str, ...]
    impedance: Callable[..., np.ndarray]     # (omega, *params) -> Z
    upper: tuple[float, ...]                 # upper bounds (lower bounds are 0)


def _sqrt_jwt(omega, tau):
    return np.sqrt(1j * omega * tau)


ELEMENTS = {e.name: e for e in (
    ElementType("R", ("Ohm",), lambda w, r: r * np.ones_like(w, dtype=complex), (np.inf,)),
    ElementType("C", ("F",), lambda w, c: 1 / (1j * w * c), (np.inf,)),
    ElementType("L", ("H",), lambda w, l_: 1j * w * l_, (np.inf,)),
    ElementType("CPE", ("F s^(n-1)", ""), lambda w, q, n: 1 / (q * (1j * w) ** n),
                (np.inf, 1.0)),
    ElementType("W", ("Ohm s^-1/2",), lambda w, a: a * (1 - 1j) / np.sqrt(w), (np.inf,)),
    ElementType("Wo", ("Ohm", "s"),
                lambda w, z0, tau: z0 / (_sqrt_jwt(w, tau) * np.tanh(_sqrt_jwt(w, tau))),
                (np.inf, np.inf)),
    ElementType("Ws", ("Ohm", "s"),
                lambda w, z0, tau: z0 * np.tanh(_sqrt_jwt(w, tau)) / _sqrt_jwt(w, tau),
                (np.inf, np.inf)),
)}

_TOKEN = re.compile(r"\s*(?:(?P<parallel>p\()|(?P<element>[A-Za-z]+)(?P<label>\w*)|(?P<op>[-,)]))")


@dataclass(frozen=True)
class Element:
    type: ElementType
    label: str                 # e.g. "CPE1"

    @property
    def parameter_names(self) -> list[str]:
        if len(self.type.units) == 1:
            return [self.label]
        return [f"{self.label}_{i}" for i in range(len(self.type.units))]


@dataclass(frozen=True)
class Series:
    parts: tuple           # Element | Parallel


@dataclass(frozen=True)
class Parallel:
    branches: tuple        # Series


class Circuit:
    """A parsed circuit: parameter names, units, default bounds and Z(params, f)."""

    def __init__(self, text: str):
        self.text = text
        self.tree = _Parser(text).parse()
        self.elements = _elements(self.tree)
        labels = [e.label for e in self.elements]
        for label in labels:
            if labels.count(label) > 1:
                raise CircuitError(f"circuit {text!r}: element {label} appears twice")
        self.parameter_names = [n for e in self.elements for n in e.parameter_names]
        self.units = [u for e in self.elements for u in e.type.units]
        self.upper_bounds = np.array([u for e in self.elements for u in e.type.upper])

    def __repr__(self) -> str:
        return f"Circuit({self.text!r})"

    def impedance(self, params, frequency_Hz) -> np.ndarray:
        """Complex impedance (Ohm) at `frequency_Hz` for parameters in `parameter_names` order."""
        p = np.asarray(params, dtype=float)
        if p.shape != (len(self.parameter_names),):
            raise CircuitError(f"circuit {self.text!r} takes {len(self.parameter_names)} "
                               f"parameters ({', '.join(self.parameter_names)}), got {p.size}")
        omega = 2 * np.pi * np.asarray(frequency_Hz, dtype=float)
        values = iter(p)
        return _evaluate(self.tree, omega, values)

    def top_level(self) -> tuple:
        """The series parts at the top level (elements and parallel blocks), in order."""
        return self.tree.parts


def rc_pair(node) -> tuple[Element, Element] | None:
    """(R, C or CPE) when `node` is a parallel block of exactly those two elements: an arc."""
    if not isinstance(node, Parallel) or len(node.branches) != 2:
        return None
    lone = [b.parts[0] for b in node.branches if len(b.parts) == 1]
    if len(lone) != 2 or not all(isinstance(e, Element) for e in lone):
        return None
    if sorted(e.type.name for e in lone) not in (["C", "R"], ["CPE", "R"]):
        return None
    resistor = next(e for e in lone if e.type.name == "R")
    return resistor, next(e for e in lone if e is not resistor)


def time_constant(capacitive: Element, R: float, values) -> float:
    """tau of an arc p(R, C) (R C) or p(R, CPE) ((R Q)^(1/n)); its apex is at 1 / (2 pi tau)."""
    if capacitive.type.name == "C":
        return float(R * values[0])
    Q, n = values
    with np.errstate(over="ignore", divide="ignore"):   # an absurd fit: inf, not an error
        return float(np.exp((np.log(R) + np.log(Q)) / n))


def interchangeable_arcs(circuit: Circuit) -> list[list[tuple[Element, Element]]]:
    """Groups of arcs that may swap places without changing Z: the `p(R, C)` (or
    `p(R, CPE)`) blocks in series in one chain, in string order (two or more a group)."""
    groups = []

    def walk(node):
        if isinstance(node, Series):
            pairs = [pair for pair in map(rc_pair, node.parts) if pair]
            for kind in ("C", "CPE"):
                group = [pair for pair in pairs if pair[1].type.name == kind]
                if len(group) > 1:
                    groups.append(group)
        children = () if isinstance(node, Element) else (
            node.parts if isinstance(node, Series) else node.branches)
        for child in children:
            walk(child)
    walk(circuit.tree)
    return groups


def _evaluate(node, omega, values) -> np.ndarray:
    if isinstance(node, Element):
        return node.type.impedance(omega, *(next(values) for _ in node.type.units))
    if isinstance(node, Series):
        return sum(_evaluate(part, omega, values) for part in node.parts)
    return 1 / sum(1 / _evaluate(branch, omega, values) for branch in node.branches)


def _elements(node) -> list[Element]:
    if isinstance(node, Element):
        return [node]
    children = node.parts if isinstance(node, Series) else node.branches
    return [e for child in children for e in _elements(child)]


class _Parser:
    """Recursive descent:
    series := term ('-' term)*;  term := element | 'p(' series (',' series)+ ')'."""

    def __init__(self, text: str):
        self.text = text
        self.tokens = self._tokenize(text)
        self.i = 0

    def _tokenize(self, text: str) -> list[tuple[str, str, int]]:
        tokens, pos = [], 0
        while pos < len(text.rstrip()):
            m = _TOKEN.match(text, pos)
            if not m:
                self._fail(pos, "unexpected character")
            start = m.end() - len(m.group().lstrip())
            if m.group("parallel"):
                tokens.append(("p(", "p(", start))
            elif m.group("element"):
                name, label = m.group("element"), m.group("label")
                if name not in ELEMENTS:
                    self._fail(start, f"unknown element {name + label!r} (known: "
                                      f"{', '.join(ELEMENTS)}, each followed by a label)")
                tokens.append(("element", (name, name + label), start))
            else:
                tokens.append((m.group("op"), m.group("op"), start))
            pos = m.end()
        tokens.append(("end", "", len(text)))
        return tokens

    def _fail(self, pos: int, message: str):
        raise CircuitError(f"circuit {self.text!r}, column {pos + 1}: {message}")

    def _next(self, *expected: str) -> tuple[str, str, int]:
        kind, value, pos = self.tokens[self.i]
        if kind not in expected:
            found = repr(value[1] if kind == "element" else value) if value else "the end"
            self._fail(pos, f"expected {' or '.join(expected)}, found {found}")
        self.i += 1
        return kind, value, pos

    def parse(self) -> Series:
        tree = self._series()
        self._next("end")
        return tree

    def _series(self) -> Series:
        parts = [self._term()]
        while self.tokens[self.i][0] == "-":
            self.i += 1
            parts.append(self._term())
        return Series(tuple(parts))

    def _term(self):
        kind, value, pos = self._next("element", "p(")
        if kind == "element":
            type_name, label = value
            return Element(ELEMENTS[type_name], label)
        branches = [self._series()]
        while self._next(",", ")")[0] == ",":
            branches.append(self._series())
        if len(branches) < 2:
            self._fail(pos, "p(...) needs at least two branches")
        return Parallel(tuple(branches))
