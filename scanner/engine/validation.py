"""JSON Schema validation that names the field the user meant (Custodian-style error walking).

``first_error(instance, schema)`` returns (field path, message) for the most relevant error, or
None; ``every_error`` all of them (a rule file's, for ``rules validate``). Inside ``oneOf``/``anyOf`` it picks the branch whose required keys the instance has (the
branch the user meant) and reports that branch's error, not "is not valid under any schema".
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any, Iterable, Mapping

import jsonschema
from jsonschema.exceptions import ValidationError, best_match


@lru_cache(maxsize=None)
def load_schema(package: str, name: str) -> Mapping[str, Any]:
    text = resources.files(package).joinpath(name).read_text(encoding="utf-8")
    schema: Mapping[str, Any] = json.loads(text)
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def field_path(path: Iterable[Any]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _branch_errors(error: ValidationError, root: Mapping[str, Any]) -> ValidationError:
    """Descend into oneOf/anyOf contexts, choosing the branch the instance was meant for."""
    while error.validator in ("oneOf", "anyOf") and error.context:
        instance = error.instance
        branches: dict[int, list[ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.schema_path[0] if sub.schema_path else 0, []).append(sub)  # type: ignore[arg-type]
        options = error.validator_value if isinstance(error.validator_value, list) else []
        chosen: list[ValidationError] | None = None
        if isinstance(instance, Mapping):
            for idx, subs in sorted(branches.items()):
                schema = options[idx] if isinstance(idx, int) and idx < len(options) else {}
                schema = _resolve(schema, root)
                required = schema.get("required", []) if isinstance(schema, Mapping) else []
                if required and all(k in instance for k in required):
                    chosen = subs
                    break
            if chosen is None:
                # no branch has its keys: the one whose missing keys the instance has
                # misspelled (`atribute:`), whose own error then names the key meant (new-user
                # trial 18: "is not valid under any of the given schemas")
                chosen = _misspelled_branch(instance, branches, options, root)
        if chosen is None:
            return error
        # the deepest error of that branch is the one the user can act on
        error = max(chosen, key=lambda e: len(list(e.absolute_path)))
    return error


def _misspelled_branch(instance: Mapping[str, Any], branches: Mapping[Any, list[ValidationError]],
                       options: list[Any], root: Mapping[str, Any]
                       ) -> list[ValidationError] | None:
    """The errors of the one branch each of whose required keys the instance has, or has
    misspelled (a key of it close to the required one); None when no branch or several."""
    from difflib import get_close_matches

    keys = [str(k) for k in instance]
    found = []
    for idx, subs in sorted(branches.items()):
        schema = options[idx] if isinstance(idx, int) and idx < len(options) else {}
        schema = _resolve(schema, root)
        required = schema.get("required", []) if isinstance(schema, Mapping) else []
        if required and all(k in instance or get_close_matches(str(k), keys, n=1, cutoff=0.8)
                            for k in required):
            found.append(subs)
    return found[0] if len(found) == 1 else None


def condition_forms(error: ValidationError, root: Mapping[str, Any]) -> str:
    """``; the forms it may take, by their keys: {all}, {any}, ..., {attribute, op}`` -- the
    required keys of each branch of a oneOf/anyOf none of which the instance matched -- or
    nothing."""
    options = error.validator_value if isinstance(error.validator_value, list) else []
    forms = []
    for option in options:
        schema = _resolve(option, root)
        required = schema.get("required") if isinstance(schema, Mapping) else None
        if not required:
            return ""
        forms.append("{" + ", ".join(map(str, required)) + "}")
    return f"; the forms it may take, by their keys: {', '.join(forms)}" if forms else ""


def _resolve(schema: Any, root: Mapping[str, Any]) -> Any:
    if isinstance(schema, Mapping) and "$ref" in schema:
        ref = str(schema["$ref"])
        if ref.startswith("#/"):
            node: Any = root
            for part in ref[2:].split("/"):
                if not isinstance(node, Mapping):
                    return {}
                node = node.get(part, {})
            return node
    return schema


#: what the schemas' patterns stand for, said instead of the regular expression (new-user
#: trial 17: "'1234' does not match '^[0-9]{12}$'"); a pattern not listed is quoted
PATTERN_WORDS: dict[str, str] = {
    "^[0-9]{12}$": "an account id (12 digits)",
    "^[a-z][a-z0-9]*(-[a-z0-9]+)*$": ("a rule id (lower-case letters and digits, words joined "
                                      "by '-', such as secret-owner-tag)"),
    "^[0-9*?]{1,12}$": "an account id (up to 12 digits, globs * and ? allowed)",
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}$": "a date YYYY-MM-DD",
    "^[a-z]{2}(-gov)?-[a-z]+-[0-9]$": "a Region name (such as us-east-1)",
    "^L-[0-9A-F]{8}$": ("a Service Quotas code (L- and 8 hexadecimal digits in capitals, such "
                        "as L-7E9ECCDB)"),
    "^vpc-[0-9a-zA-Z]+$": "a VPC id (such as vpc-0abc1234)",
    "^o-[a-z0-9]{10,32}$": "an organization id (such as o-abc123def4)",
    "^[0-9]+h$": "a number of hours (such as 24h)",
    "^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:": (
        "a Lambda function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME)"),
    "^arn:aws[a-z-]*:lambda:": "a Lambda function ARN (arn:aws:lambda:...)",
}


def first_error(instance: Any, schema: Mapping[str, Any]) -> tuple[str, str] | None:
    validator = jsonschema.Draft202012Validator(schema)
    errors = list(validator.iter_errors(instance))
    if not errors:
        return None
    if instance is None:
        return field_path(()), "the file is empty (or holds only comments); a mapping is expected"
    return _described(_branch_errors(best_match(errors), schema), schema)


def every_error(instance: Any, schema: Mapping[str, Any], *, most: int = 10
                ) -> list[tuple[str, str]]:
    """Every problem of ``instance`` (at most ``most``), each as ``first_error`` words it:
    (field path, message), the most relevant first, one per field and kind of problem. A
    first rule of one's own with a title too short, a severity misspelled and an unknown
    operator took three runs of `rules validate`, one problem each (new-user trial round
    18's leftover)."""
    validator = jsonschema.Draft202012Validator(schema)
    errors = list(validator.iter_errors(instance))
    if not errors:
        return []
    if instance is None:
        return [(field_path(()),
                 "the file is empty (or holds only comments); a mapping is expected")]
    first = best_match(errors)
    out: list[tuple[str, str]] = []
    for error in [first, *(e for e in errors if e is not first)]:
        said = _described(_branch_errors(best_match([error]), schema), schema)
        if said not in out:
            out.append(said)
        if len(out) == most:
            break
    return out


def _described(chosen: ValidationError, schema: Mapping[str, Any]) -> tuple[str, str]:
    """(field path, message) for one schema error, in the words ``first_error`` documents."""
    message = chosen.message
    required = chosen.schema.get("required") if isinstance(chosen.schema, Mapping) else None
    if chosen.validator == "additionalProperties" and not chosen.absolute_path \
            and isinstance(chosen.instance, Mapping) and isinstance(required, list) \
            and "fail_when" in required and not any(k in chosen.instance for k in required):
        # another kind of file given as a rule (rules validate out/findings.json): the advice
        # below, on where a rule's parameters go, is not for it (new-user trial 17)
        from scanner.file_kinds import wrong_flag_hint

        message += (f"; not a rule file (a rule has {', '.join(map(str, required))})"
                    + wrong_flag_hint(chosen.instance, "rule"))
    elif chosen.validator == "additionalProperties" and isinstance(chosen.schema, Mapping) \
            and "parameters" in (chosen.schema.get("properties") or {}):
        # rules.<id>.max_days: the user meant rules.<id>.parameters.max_days -- unless the key
        # is a typo of one of the rule's own settings (enabeld, severty: new-user trial 7)
        message += _closest_key(chosen) or \
            "; a rule's parameters go under its `parameters:` mapping"
    elif chosen.validator == "additionalProperties":
        message += _belongs_elsewhere(chosen, schema) or _closest_key(chosen)
    elif chosen.validator == "type" and chosen.validator_value == "object" \
            and not chosen.absolute_path:
        # the whole file is no mapping: "[{'id': ..., 300 characters of the file}] is not of
        # type 'object'" -- JSON Schema's word, the file echoed, nothing of what to change (a
        # first rule written as a list item; new-user trial round 26)
        message = f"the file is {_yaml_kind(chosen.instance)}; a mapping (key: value lines) " \
                  "is expected"
        if "fail_when" in (required or ()):
            message += (" -- a rule file holds one rule, its keys (id:, title:, ...) at the "
                        "start of their lines")
    elif chosen.validator == "type":
        pattern = chosen.schema.get("pattern") if isinstance(chosen.schema, Mapping) else None
        message += quote_hint(chosen.instance, chosen.validator_value, pattern=pattern)
        if chosen.validator_value == "array" and isinstance(chosen.instance, (str, int, float)) \
                and not isinstance(chosen.instance, bool):
            # one Region where a list is expected (new-user trial 17: "is not of type
            # 'array'", the schema's word for a list)
            shown = f"'{chosen.instance}'" if isinstance(chosen.instance, int) or \
                str(chosen.instance).isdigit() else str(chosen.instance)  # an account id
            message += f"; write a list: [{shown}]"
        elif chosen.validator_value == "array" and chosen.instance is None:
            # a key with nothing after it is null in YAML: "None is not of type 'array'" said
            # neither (docs trial round 7: an empty `readers:` in a baseline)
            message = "empty (a key with nothing after it is null in YAML): write [] for an " \
                      "empty list"
        elif isinstance(chosen.instance, bool) or chosen.instance is None:
            # the value as the file wrote it: "True is not of type 'integer'" named Python's
            # True for a YAML true, "None" for an empty value (docs round 14)
            written = str(chosen.instance).lower() if chosen.instance is not None else \
                "null (an empty value)"
            message = message.replace(repr(chosen.instance), written, 1)
    elif chosen.validator == "enum":
        message += _closest_choice(chosen.instance, chosen.validator_value)
    elif chosen.validator == "pattern" and chosen.validator_value in PATTERN_WORDS:
        message = f"{chosen.instance!r} is not {PATTERN_WORDS[chosen.validator_value]}"
    elif chosen.validator in ("oneOf", "anyOf") and isinstance(chosen.instance, Mapping):
        message += condition_forms(chosen, schema)
    elif chosen.validator in ("minLength", "maxLength") and isinstance(chosen.instance, str):
        # "'why' is too short" said neither the least nor the length (new-user trial 18)
        short = chosen.validator == "minLength"
        text = chosen.instance if len(chosen.instance) <= 60 else chosen.instance[:57] + "..."
        n = len(chosen.instance)
        message = (f"{text!r} is too {'short' if short else 'long'} ({n} "
                   f"character{'' if n == 1 else 's'}; {'at least' if short else 'at most'} "
                   f"{chosen.validator_value})")
    elif chosen.validator == "required" and isinstance(chosen.instance, Mapping) \
            and isinstance(chosen.validator_value, list):
        # every key missing at once: a first rule of one's own lacked three, named one a
        # run (new-user trial 18)
        missing = [str(k) for k in chosen.validator_value if k not in chosen.instance]
        if len(missing) > 1:
            message = f"missing required properties: {', '.join(missing)}"
    if len(message) > 300:
        message = message[:297] + "..."
    return field_path(chosen.absolute_path), message


def _yaml_kind(value: Any) -> str:
    """What a YAML document is, in YAML's words: a list (of N items), the text '...', the
    number N, true / false."""
    if isinstance(value, list):
        return f"a list (of {len(value)} item{'' if len(value) == 1 else 's'})"
    if isinstance(value, bool):
        return f"the value {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    text = str(value)
    return f"the text {(text if len(text) <= 40 else text[:37] + '...')!r}"


def _places(node: Any, root: Mapping[str, Any], path: str = "", name: str | None = None,
            depth: int = 0) -> Iterable[tuple[str, str | None, Mapping[str, Any]]]:
    """Every object the schema describes: (its field path, ``[]`` for a list's items; the name
    of the member holding it; its schema). Followed through ``properties`` and ``items``."""
    node = _resolve(node, root)
    if not isinstance(node, Mapping) or depth > 8:
        return
    properties = node.get("properties")
    if isinstance(properties, Mapping):
        yield path or "(top level)", name, node
        for key, sub in properties.items():
            yield from _places(sub, root, f"{path}.{key}" if path else str(key), str(key),
                               depth + 1)
    items = node.get("items")
    if isinstance(items, Mapping):
        yield from _places(items, root, f"{path}[]", name, depth + 1)


def _belongs_elsewhere(error: ValidationError, root: Mapping[str, Any]) -> str:
    """``; `days` belongs under remediation.rotation_functions[]`` for keys the schema does not
    take here but takes in a member of the same name elsewhere (a top-level key: in one of the
    file's sections), or nothing. Read from the schema being validated with, so it never
    disagrees with it (bad-input trial round 1: rotation_functions[].days)."""
    if not isinstance(error.instance, Mapping):
        return ""
    allowed = (error.schema.get("properties") or {}) if isinstance(error.schema, Mapping) \
        else {}
    parts = list(error.absolute_path)
    here = "".join("[]" if isinstance(p, int) else (f".{p}" if i else str(p))
                   for i, p in enumerate(parts)) or "(top level)"
    names = [p for p in parts if isinstance(p, str)]
    name = names[-1] if names else None
    where: dict[str, list[str]] = {}
    for key in error.instance:
        if key in allowed:
            continue
        for path, held_by, node in _places(root, root):
            if path == here or key not in (node.get("properties") or {}):
                continue
            # a list or mapping of the same name (rotation_functions[] ->
            # remediation.rotation_functions[]); for a top-level key, a section of the file
            if (name is not None and held_by == name) or \
                    (name is None and path.count(".") == 0 and "[" not in path):
                where.setdefault(path, []).append(f"`{key}`")
                break
    return "".join(f"; {' and '.join(keys)} {'belongs' if len(keys) == 1 else 'belong'} "
                   f"under {path}" for path, keys in where.items())


def _closest_key(error: ValidationError) -> str:
    """``; did you mean KEY?`` for a key the schema does not allow that is close to one it
    does (new-user trial: ``required_replica_region:`` got no hint), or nothing."""
    from difflib import get_close_matches

    allowed = list((error.schema.get("properties") or {})
                   if isinstance(error.schema, Mapping) else ())
    if not isinstance(error.instance, Mapping) or not allowed:
        return ""
    meant = [(str(key), close[0]) for key in error.instance if key not in allowed
             for close in [get_close_matches(str(key), allowed, n=1, cutoff=0.7)] if close]
    if len(meant) == 1:
        return f"; did you mean {meant[0][1]}?"
    if meant:  # each key named with its own (rule_id and resource_arn: new-user trial 17)
        return "; did you mean " + ", ".join(f"{to} for {key}" for key, to in meant) + "?"
    return ""


def _closest_choice(value: Any, choices: Any) -> str:
    """``; did you mean HIGH?`` for a choice given in another case (``severity: high``, which
    --fail-on takes) or mistyped, or nothing (new-user trial 17)."""
    from difflib import get_close_matches

    if not isinstance(value, str) or not isinstance(choices, list):
        return ""
    folded = {c.casefold(): c for c in choices if isinstance(c, str)}
    close = get_close_matches(value.casefold(), list(folded), n=1, cutoff=0.7)
    return f"; did you mean {folded[close[0]]}?" if close else ""


def quote_hint(value: Any, expected: Any = "string", *, pattern: Any = None) -> str:
    """``; quote it: '111122223333'`` where a string was expected and YAML read a number (an
    unquoted account id, ``trusted_accounts: [111122223333]``), or nothing. Shared by the
    scan's and remediate's reading of the config, so both say the same (new-user trial).
    Where the string's ``pattern`` would refuse the number quoted too, what is expected
    instead: ``expires: 20270101`` was told to quote it, and the next run refused
    '20270101' as no date (fault-injection trial round 11)."""
    expected_types = expected if isinstance(expected, list) else [expected]
    wants_string = "string" in expected_types
    if wants_string and isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(pattern, str) and re.search(pattern, str(value)) is None:
            return f"; expected {PATTERN_WORDS.get(pattern, f'text matching {pattern}')}"
        return f"; quote it: '{value}' (YAML reads an unquoted {value} as a number)"
    if wants_string:
        return ""
    # the other way round (new-user trial round 37: `emit_pass: "yes"`, `max_days: "30"` and
    # `enabled: "false"` were refused as "not of type 'boolean'" / "must be integer, got str",
    # without what to write instead)
    if "boolean" in expected_types and not isinstance(value, bool) and \
            isinstance(value, (str, int, float)):
        word = str(value).strip().lower()
        if isinstance(value, str) and word in ("true", "false"):
            return f"; write {word} without quotes (quoted, it is text)"
        return "; write true or false, without quotes"
    numeric = [t for t in expected_types if t in ("integer", "number")]
    if numeric and isinstance(value, str):
        number = _number_in(value.strip())
        if number is not None and (numeric != ["integer"] or isinstance(number, int)):
            return (f"; drop the quotes: {value.strip()} (YAML reads a quoted number as "
                    "text)")
        return "; write a whole number" if numeric == ["integer"] else "; write a number"
    return ""


def _number_in(text: str) -> int | float | None:
    """The number ``text`` spells (``30``, ``0.8``), or None."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return None
    return number if number == number and number not in (float("inf"), float("-inf")) \
        else None


def yaml_value_words(value: Any) -> str:
    """A value as a YAML reader sees it: the text '30', the number 30, true, null, a list, a
    mapping -- not Python's type name ("got str")."""
    if value is None:
        return "null (an empty value)"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {(value if len(value) <= 40 else value[:37] + '...')!r}"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return type(value).__name__
