"""Preflight: a step's parameters against the instruments that play its roles, before
anything is opened: the bench's safety limits (`limits` of the bench file) and what the
instrument can do at all (its driver's `bench_ranges`, e.g. the 1260's 10 uHz .. 32 MHz, a
heating-only furnace nothing below ambient). Which parameter sets which quantity is the
protocol's declaration (`ProtocolSpec.limits`). One message per problem, naming the
instrument and its range.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping


from labctl.bench import InstrumentSpec
from labctl.configfile import is_number
from labctl.ranges import Span, in_units
from labctl.registry import load_driver
from labctl.units import C_to_K, K_to_C


@dataclass(frozen=True)
class Quantity:
    """A quantity a step sets: the role whose instrument sets it, its span in `Ranges`
    (None: no range) and the bench limit it must respect (in the limit's own unit; the
    first of `limits` the instrument has)."""

    role: str
    span: str | None
    limits: tuple[str, ...] = ()
    to_limit: Callable[[float], float] = float     # SI value -> the limit's unit
    from_limit: Callable[[float], float] = float   # and back
    magnitude: bool = True                         # the limit bounds |value|


TEMPERATURE = Quantity("furnace", "temperature_K", ("max_temperature_C",),
                       K_to_C, C_to_K, False)
RAMP = Quantity("furnace", None, ("max_ramp_C_per_min",), lambda r: r * 60.0, lambda r: r / 60.0)
FREQUENCY = Quantity("fra", "frequency_Hz")
AMPLITUDE = Quantity("fra", "amplitude_V", ("amplitude_V",))
VOLTAGE = Quantity("smu", "voltage_V", ("voltage_V",))
# a potentiostat's DC bias is bounded by its potential limit
BIAS = Quantity("fra", "bias_V", ("bias_V", "voltage_V"))
CURRENT_LIMIT = Quantity("smu", "current_A", ("current_A",))


def problems(limits: Mapping[str, Quantity], values: Mapping[str, Any],
             players: Mapping[str, InstrumentSpec]) -> Iterator[tuple[str, str]]:
    """(parameter, message) for every value outside a bench limit or the range of the
    instrument playing its role (`limits`: parameter -> quantity, as the protocol declares
    them; `players`: role -> instrument)."""
    for key, quantity in limits.items():
        spec = players.get(quantity.role)
        value = values.get(key)
        if spec is None or value is None:
            continue
        numbers = [v for v in (value if isinstance(value, (list, tuple)) else [value])
                   if is_number(v)]
        message = _over_limit(quantity, numbers, spec) or _out_of_range(quantity, numbers, spec)
        if message:
            yield key, message


def bench_limit(quantity: Quantity, spec: InstrumentSpec) -> tuple[str, float] | None:
    """The bench limit (key, value) of `quantity` on the instrument `spec`, if it has one."""
    key = next((k for k in quantity.limits if k in spec.limits), None)
    return None if key is None else (key, spec.limits[key])


def _over_limit(quantity: Quantity, values: list[float], spec: InstrumentSpec) -> str | None:
    if (found := bench_limit(quantity, spec)) is None:
        return None
    key, limit = found
    for value in values:
        converted = quantity.to_limit(value)
        if quantity is RAMP and value == 0:
            return f"a step (rate 0) is refused by {spec.name}'s {key}"
        if (abs(converted) if quantity.magnitude else converted) > \
                limit + 1e-9 * max(1.0, abs(limit)):
            return f"{converted:g} exceeds the limit {key} = {limit:g} of {spec.name!r}"
    return None


def _out_of_range(quantity: Quantity, values: list[float], spec: InstrumentSpec) -> str | None:
    span = instrument_span(quantity, spec)
    outside = [v for v in values if v not in span] if span else []
    if not outside:
        return None
    what = "reach" if quantity is TEMPERATURE else "do"
    return (f"{in_units(outside, span.unit)} is outside what {spec.name!r} ({spec.driver}) "
            f"can {what}: {span}")


def instrument_span(quantity: Quantity, spec: InstrumentSpec) -> Span | None:
    """The span of `quantity` on the instrument `spec`, narrowed by its bench limit."""
    if quantity.span is None:
        return None
    span = load_driver(spec.driver).bench_ranges(spec.options).get(quantity.span)
    found = bench_limit(quantity, spec) if span else None
    if found is None:
        return span
    key, limit = found
    bound = quantity.from_limit(limit)
    return span.narrowed(low=-bound if quantity.magnitude else None, high=bound,
                         note=f"limit {key} = {limit:g} of the bench")
