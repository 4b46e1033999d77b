"""Which Host headers a local server answers: its own address only (no DNS rebinding).

A page of another site can point a name of its own at this machine and then read what a local server
answers; a browser always sends the name it used in the Host header. `build.py serve` (serve.py) and a
bare `mkdocs serve` (the `cgvkit-safe` plugin's `on_serve`) answer only a Host that is their address.
"""

from __future__ import annotations

import ipaddress
import re

LOOPBACK = ("127.0.0.1", "localhost", "::1")
_HOST = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[^:\[\],]+)(?::(\d{1,5}))?$")


def host_allowed(header: str, host: str, port: int) -> bool:
    """Is `header` (a request's Host) the address `host`:`port`? For the loopback, under any of its
    names; for all interfaces (0.0.0.0, ::), any IP address; never a domain name but localhost."""
    host = host.strip("[]")
    found = _HOST.match(header.strip().lower())
    if not found or int(found.group(2) or 80) != port:
        return False
    name = found.group(1).strip("[]")
    if name == host.lower() or (host in LOOPBACK and name in LOOPBACK):
        return True
    if host in ("0.0.0.0", "::"):
        try:
            ipaddress.ip_address(name)
            return True
        except ValueError:
            return False
    return False
