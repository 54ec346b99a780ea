"""The worked example of docs/adding-a-protocol.md as an installed third-party protocol:
its code block written into a module in a temporary directory, registered through an
entry point of a temporary distribution's metadata on sys.path, exactly as `pip install`
of a package declaring it would register it. Nothing else of labctl is touched."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from labctl import registry

DOC = Path(__file__).parents[2] / "docs" / "adding-a-protocol.md"
KIND = "z_at_frequency"


def doc_code() -> str:
    """The first Python code block of the document."""
    return re.search(r"```python\n(.*?)```", DOC.read_text(), re.DOTALL).group(1)


def install(site: Path, entry: str) -> None:
    """The example module and a distribution whose entry point `entry` names its SPEC,
    in the directory `site` (put it on sys.path)."""
    site.mkdir()
    (site / "labctl_example_z").mkdir()
    (site / "labctl_example_z" / "__init__.py").write_text("")
    (site / "labctl_example_z" / f"{KIND}.py").write_text(doc_code())
    info = site / "labctl_example_z-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: labctl-example-z\n"
                                   "Version: 0.1\n")
    (info / "entry_points.txt").write_text(f"[labctl.protocols]\n{entry}\n")


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """install(entry) for one test; the registry forgets it afterwards."""
    def put(entry: str) -> None:
        install(tmp_path / "site", entry)
        monkeypatch.syspath_prepend(str(tmp_path / "site"))
        registry.protocols.cache_clear()
    yield put
    monkeypatch.undo()
    registry.protocols.cache_clear()


@pytest.fixture
def example_protocol(installed):
    """The example protocol installed for one test; its ProtocolSpec."""
    installed(f"{KIND} = labctl_example_z.{KIND}:SPEC")
    return registry.protocol(KIND)
