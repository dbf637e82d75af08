"""The deployment's templates as files: each template's name and YAML text
(``template_files``: `deploy-templates` writes them as one set, scanner.commands.
deploy_templates) and ``render_templates(out_dir)``. YAML in block style with long-form
intrinsics and no aliases, so plain YAML tools and CloudFormation both read it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from scanner.deploy.org_scale_template import ORG_SCALE_FILE, org_scale_template
from scanner.deploy.templates import central_template, member_template


CENTRAL_FILE = "secretgraph-central.yaml"


MEMBER_FILE = "secretgraph-member-role-stackset.yaml"


class _Dumper(yaml.SafeDumper):
    """Block style, no aliases (CloudFormation rejects YAML anchors)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def to_yaml(template: dict[str, Any]) -> str:
    return yaml.dump(template, Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                     width=100)


def template_files() -> list[tuple[str, str]]:
    """Each template's file name and YAML text (pure: ``deploy-templates`` writes them as one
    set, scanner.commands.deploy_templates)."""
    return [(name, to_yaml(template)) for name, template in (
        (CENTRAL_FILE, central_template()), (MEMBER_FILE, member_template()),
        (ORG_SCALE_FILE, org_scale_template()))]


def render_templates(out_dir: str | Path) -> list[Path]:
    """Write the templates into out_dir (created if needed); returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in template_files():
        path = out / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
