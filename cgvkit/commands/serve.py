"""`serve [--address HOST:PORT]`: the playbook site with live reload, for lawyers editing clauses."""

from __future__ import annotations

from cgvkit.commands.output import Usage, report
from cgvkit.site.serve import Server


def cmd_serve(args) -> int:
    host, _, port = args.address.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise Usage(f"adresse attendue sous la forme HÔTE:PORT, par exemple 127.0.0.1:8000 (reçu : {args.address})")
    Server(args.root, host, int(port), report).run()
    return 0
