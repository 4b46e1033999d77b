"""`serve [--address HOST:PORT]`: the playbook site with live reload, for lawyers editing clauses."""

from __future__ import annotations

from cgvkit.commands.output import Usage, report
from cgvkit.core.errors import os_reason
from cgvkit.site.serve import Server


def cmd_serve(args) -> int:
    host, _, port = args.address.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise Usage(f"adresse attendue sous la forme HÔTE:PORT, par exemple 127.0.0.1:8000 (reçu : {args.address})")
    server = Server(args.root, host, int(port), report)
    try:
        httpd = server.bind()  # at once: an address already taken is said before anything is built
    except OSError as exc:
        raise Usage(f"impossible de servir le site sur {server.url} ({os_reason(exc)})") from None
    server.run(httpd)
    return 0
