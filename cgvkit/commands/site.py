"""`site`: the internal playbook site, also the last step of `all`."""

from __future__ import annotations

from cgvkit.commands.output import report, shown
from cgvkit.model.project import load_project
from cgvkit.site.build import build_site


def cmd_site(args) -> int:
    project = load_project(args.root, today=args.date, letter_texts=False)
    report(project.warnings)
    return publish(project)


def publish(project) -> int:
    generated = build_site(project)
    print(f"site écrit : {shown(project.root / 'site')} ({len(generated.pages)} page(s) générée(s), "
          f"{len(generated.companies)} entreprise(s))")
    return 0
