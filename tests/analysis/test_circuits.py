"""Circuit strings: impedance.py's syntax and element formulas, parsed without eval."""

import numpy as np
import pytest
from impedance.models.circuits import CustomCircuit

from labctl.analysis.circuits import Circuit, CircuitError

CIRCUITS = ["R0-p(R1,CPE1)-p(R2,CPE2)-CPE3",
            "R0-p(R1,C1)-p(R2-Wo1,C2)",
            "L0-R0-p(R1-W1,C1)-p(R2-Ws2,p(CPE2,R3-C3))",
            "p(p(R1,CPE1)-p(R2,CPE2)-CPE3,R4)"]


@pytest.mark.parametrize("text", CIRCUITS)
def test_names_and_impedance_match_impedance_py(text):
    circuit = Circuit(text)
    params = np.random.default_rng(len(text)).uniform(0.2, 0.95, len(circuit.parameter_names))
    reference = CustomCircuit(text, initial_guess=list(params))
    f = np.logspace(-2, 6, 40)
    with pytest.warns(UserWarning):     # impedance.py: "simulating on initial parameters"
        expected = reference.predict(f)
    np.testing.assert_allclose(circuit.impedance(params, f), expected, rtol=1e-12)
    assert circuit.parameter_names == [n for n in reference.get_param_names()[0]]


def test_element_formulas():
    f = np.array([1 / (2 * np.pi)])        # omega = 1
    z = Circuit("R0-C1").impedance([2.0, 0.5], f)
    assert z[0] == pytest.approx(2.0 - 2.0j)
    assert Circuit("CPE1").impedance([1.0, 0.5], f)[0] == pytest.approx(np.exp(-0.25j * np.pi))
    assert Circuit("p(R1,R2)").impedance([2.0, 2.0], f)[0] == pytest.approx(1.0)
    assert Circuit("L1").impedance([3.0], f)[0] == pytest.approx(3.0j)


@pytest.mark.parametrize("text, message", [
    ("R0-", "column 4: expected element or p(, found the end"),
    ("p(R1)", "column 1: p(...) needs at least two branches"),
    ("R0-X1", "column 4: unknown element 'X1'"),
    ("R0-R0", "element R0 appears twice"),
    ("p(R1,C1", "column 8: expected , or ), found the end"),
    ("R0 R1", "column 4: expected end, found 'R1'"),
    ("R0-__import__", "column 4: unexpected character"),
    ("", "column 1: expected element or p("),
])
def test_bad_strings_name_the_column(text, message):
    with pytest.raises(CircuitError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Circuit(text)


def test_wrong_number_of_parameters():
    with pytest.raises(CircuitError, match=r"takes 3 parameters \(R0, CPE1_0, CPE1_1\), got 2"):
        Circuit("R0-CPE1").impedance([1.0, 2.0], [1.0])
