"""`labctl resources`: list the VISA resources and serial ports this machine can see."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("resources", help="list VISA resources and serial ports")
    parser.add_argument("--visa-library", default="@py",
                        help="VISA library: '@py' (pyvisa-py, default) or a path / '@ivi'")
    parser.add_argument("--lan", action="store_true",
                        help="also discover LAN instruments (pyvisa-py sends a VXI-11 broadcast)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from serial.tools import list_ports

    ports = list(list_ports.comports())
    print(f"Serial ports ({len(ports)}):")
    for port in ports:
        print(f"  {port.device:<20} {port.description}")
    print(f"VISA resources ({args.visa_library}):")
    for resource in visa_resources(args.visa_library, lan=args.lan):
        print(f"  {resource}")
    return 0


def visa_resources(library: str, lan: bool) -> list[str]:
    """VISA resources found by `library`; a broken or missing VISA yields an explanation.

    pyvisa-py discovers LAN instruments by a UDP broadcast on the local network: that only
    happens with `lan=True`. Other VISA libraries discover as they are configured."""
    import pyvisa

    try:
        if library == "@py" and not lan:
            return _pyvisa_py_local_resources()
        return list(pyvisa.ResourceManager(library).list_resources())
    except (OSError, ValueError, pyvisa.Error) as exc:
        return [f"(none: VISA library {library!r} unavailable: {exc})"]


def _pyvisa_py_local_resources() -> list[str]:
    from pyvisa.constants import InterfaceType
    from pyvisa_py.sessions import Session

    found: list[str] = []
    for (interface, _), session_class in Session.iter_valid_session_classes():
        if interface != InterfaceType.tcpip:
            found += session_class.list_resources()
    return sorted(set(found))
