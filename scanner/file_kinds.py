"""Which of the YAML files a person writes for secretgraph a document is, told by its
top-level keys: a configuration (``--config``), a suppressions file (``--suppressions``), an
access baseline (``--baseline``) or a rule file (``--rules-dir``).

Three such files side by side are easy to give to the wrong flag: ``scan --baseline
suppressions.yaml`` said "Additional properties are not allowed ('suppressions' was
unexpected)", and ``--suppressions baseline.yaml`` "('allowed_external_accounts', 'secrets',
'version' were unexpected)", neither saying which flag takes the file (new-user trial round
35). ``wrong_flag_hint`` says it, after the schema's own words.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

#: kind -> (how it is named, the flag that takes it, whether top-level keys are of that kind)
KINDS: dict[str, tuple[str, str, Callable[[frozenset[str]], bool]]] = {
    "baseline": ("an access baseline", "--baseline FILE",
                 lambda keys: {"version", "secrets"} <= keys),
    "suppressions": ("a suppressions file", "--suppressions FILE",
                     lambda keys: "suppressions" in keys),
    "rule": ("a rule file", "--rules-dir DIR (the folder holding it)",
             lambda keys: {"id", "fail_when"} <= keys),
    "config": ("a configuration file", "--config FILE", lambda keys: bool(keys) and keys <= {
        str(k) for k in _config_keys()}),
}


def _config_keys() -> tuple[str, ...]:
    from scanner.engine.validation import load_schema

    return tuple(load_schema("scanner.schemas", "config.schema.json").get("properties") or ())


def kind_of(data: Any) -> str | None:
    """The kind of file ``data`` (parsed YAML) is, by its top-level keys, or None."""
    if not isinstance(data, Mapping):
        return None
    keys = frozenset(str(k) for k in data)
    return next((kind for kind, (_, _, test) in KINDS.items() if test(keys)), None)


def wrong_flag_hint(data: Any, expected: str) -> str:
    """``; this is a suppressions file: give it with --suppressions FILE`` when ``data`` is a
    file of another kind than ``expected`` (a key of KINDS), else nothing."""
    kind = kind_of(data)
    if kind is None or kind == expected:
        return ""
    name, flag, _ = KINDS[kind]
    return f"; this is {name}: give it with {flag}, not as {KINDS[expected][0]}"
