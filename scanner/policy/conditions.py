"""Condition operators, three-valued.

Rules pinned (IAM User Guide, "Condition operators" and "Multivalued context keys"):

* A key absent from the request makes a positive operator false and a negated operator
  (StringNotEquals, ArnNotLike, NotIpAddress, ...) true; ``...IfExists`` makes it true.
* ``Null``: "true" holds when the key is absent, "false" when it is present; a ForAnyValue /
  ForAllValues qualifier does not change that (Null compares no values).
* ARN operators (ArnEquals, ArnLike and their negations) compare ARNs: a request value that is
  not an ARN matches neither the positive nor the negated operator (the behaviour measured by
  public simulators' suites: cloud-copilot/iam-simulate "should return false if not a valid
  request arn" for ArnLike and ArnNotLike; principalmapper, validated against the IAM policy
  simulator, ArnNotLike on "test2" is false). So does a request value that is no number, date
  or IP address under a numeric, date or IP address operator (``_TYPED``: a tag "high" under
  NumericLessThan, NumericNotEquals alike; the same suites measure it).
* Values listed for one key are ORed; keys and operators in one block are ANDed.
* ``ForAnyValue``: true when at least one request value matches (false when the key is absent);
  ``ForAllValues``: true when every request value matches (true when the key is absent).
* A key the scanner does not know is UNKNOWN and named, never guessed. So is an operator it does
  not know, a value it cannot parse, or a policy variable it cannot substitute.
"""

from __future__ import annotations

import base64
import ipaddress
import re
from dataclasses import replace
from datetime import datetime
from typing import Callable, Iterable

from scanner.policy.arn import is_account_id, parse_arn
from scanner.policy.matching import (arn_condition_matches, arn_pattern_segments,
                                      compared_value, glob_match,
                                      head_account, literal_prefix, matches_no_principal_arn)
from scanner.policy.parse import ConditionClause
from scanner.policy.request import (MULTIVALUED_KEYS, KeyState, Request, _ArnOf,
                                    _ArnOfUnnamed, _EveryLiteral, _NotUnder, _OneOf, _Present,
                                    _Under, _UniqueIdOf, REQUEST_TIME_KEYS, TOKEN_ISSUE_TIME,
                                    always_present, token_issue_floor)
from scanner.policy.tri import Tri, all3
from scanner.policy.values import (Unparseable, date_readings, ip_value, not_of_type, read_date,
                                   read_number)
from scanner.policy.variables import (LITERAL_QUESTION, LITERAL_STAR, literal_pattern_value,
                                      substitute_variables)


def _ip(req: str, pol: str) -> bool:
    try:
        net = ipaddress.ip_network(pol.strip(), strict=False)
        addr = ipaddress.ip_address(req.strip().split("/")[0])
    except ValueError:
        raise Unparseable(f"not an IP address or CIDR: {pol!r} / {req!r}") from None
    return addr in net


def _bool(req: str, pol: str) -> bool:
    return req.strip().lower() == pol.strip().lower()


def _binary(req: str, pol: str) -> bool:
    try:
        return base64.b64decode(req, validate=True) == base64.b64decode(pol, validate=True)
    except ValueError:
        raise Unparseable("not base64") from None


Matcher = Callable[[str, str], bool]

#: base operator -> (matcher(request value, policy value), negated)
OPERATORS: dict[str, tuple[Matcher, bool]] = {
    "stringequals": (lambda r, p: r == p, False),
    "stringnotequals": (lambda r, p: r == p, True),
    "stringequalsignorecase": (lambda r, p: r.lower() == p.lower(), False),
    "stringnotequalsignorecase": (lambda r, p: r.lower() == p.lower(), True),
    "stringlike": (lambda r, p: glob_match(p, r), False),
    "stringnotlike": (lambda r, p: glob_match(p, r), True),
    "numericequals": (lambda r, p: read_number(r) == read_number(p), False),
    "numericnotequals": (lambda r, p: read_number(r) == read_number(p), True),
    "numericlessthan": (lambda r, p: read_number(r) < read_number(p), False),
    "numericlessthanequals": (lambda r, p: read_number(r) <= read_number(p), False),
    "numericgreaterthan": (lambda r, p: read_number(r) > read_number(p), False),
    "numericgreaterthanequals": (lambda r, p: read_number(r) >= read_number(p), False),
    "dateequals": (lambda r, p: read_date(r) == read_date(p), False),
    "datenotequals": (lambda r, p: read_date(r) == read_date(p), True),
    "datelessthan": (lambda r, p: read_date(r) < read_date(p), False),
    "datelessthanequals": (lambda r, p: read_date(r) <= read_date(p), False),
    "dategreaterthan": (lambda r, p: read_date(r) > read_date(p), False),
    "dategreaterthanequals": (lambda r, p: read_date(r) >= read_date(p), False),
    "bool": (_bool, False),
    "binaryequals": (_binary, False),
    "ipaddress": (_ip, False),
    "notipaddress": (_ip, True),
    # IAM User Guide, "Amazon Resource Name (ARN) condition operators": "Each of the six
    # colon-delimited components of the ARN is checked separately" (arn_condition_matches)
    "arnequals": (lambda r, p: arn_condition_matches(p, r), False),
    "arnlike": (lambda r, p: arn_condition_matches(p, r), False),
    "arnnotequals": (lambda r, p: arn_condition_matches(p, r), True),
    "arnnotlike": (lambda r, p: arn_condition_matches(p, r), True),
}

#: operators whose policy value is compared literally (a substituted "*" is just a character);
#: ArnEquals is not one of them: it takes wildcards like ArnLike (IAM User Guide, "ARN condition
#: operators")
_EXACT_STRING = {"stringequals", "stringnotequals", "stringequalsignorecase",
                 "stringnotequalsignorecase"}
#: the string condition operators (IAM User Guide, "String condition operators")
_STRING_OPERATORS = _EXACT_STRING | {"stringlike", "stringnotlike"}
#: ARN condition operators (IAM User Guide, "Amazon Resource Name (ARN) condition operators")
_ARN_OPERATORS = {"arnequals", "arnlike", "arnnotequals", "arnnotlike"}
#: the case-sensitive pattern operators (IAM User Guide: StringLike "Case-sensitive matching";
#: ArnEquals, ArnLike "Case-sensitive matching of the ARN")
_LIKE_OPERATORS = _ARN_OPERATORS | {"stringlike", "stringnotlike"}
#: the keys whose values are text their owner or caller chooses (tags, encryption-context
#: pairs): a Bool condition on one may meet a value that is neither "true" nor "false"; every
#: other key a policy compares with Bool is one AWS defines as Boolean ("true" or "false"
#: when present). The one reading for the evaluator and the solver (scanner/policy/smt)
FREE_TEXT_PREFIXES = ("aws:principaltag/", "aws:resourcetag/", "aws:requesttag/",
                      "secretsmanager:resourcetag/", "kms:encryptioncontext:")


def free_text_key(name: str) -> bool:
    """``name`` (lower case) holds text its owner or caller chooses (``FREE_TEXT_PREFIXES``)."""
    return name.startswith(FREE_TEXT_PREFIXES)


_BOOLEANS = ("true", "false")


#: the operators whose values take policy variables: IAM User Guide, "IAM policy elements:
#: Variables and tags", Condition element: "You can use a policy variable for Condition values
#: in any condition that involves the string operators or the ARN operators. ... You can't use
#: a policy variable with other operators, such as Numeric, Date, Boolean, Binary, IP Address,
#: or Null operators." In another operator's value ``${...}`` is the text it is (IAM
#: conformance trial round 25: Bool aws:SecureTransport "${aws:PrincipalTag/secure}" was
#: substituted, a confident ALLOWED)
VARIABLE_OPERATORS = _STRING_OPERATORS | _ARN_OPERATORS


def takes_variables(base: str) -> bool:
    """A value of the operator ``base`` (lower case, no qualifier or IfExists) has its policy
    variables substituted (``VARIABLE_OPERATORS``); the evaluator's and the solver's one
    reading."""
    return base in VARIABLE_OPERATORS


#: keys whose value, when present, is always an ARN: IAM User Guide, "AWS global condition
#: context keys", aws:PrincipalArn: "the Amazon Resource Name (ARN) of the principal that made
#: the request"; aws:SourceArn: "the Amazon Resource Name (ARN) of the resource making a
#: service-to-service request"
ARN_VALUED_KEYS = frozenset({"aws:principalarn", "aws:sourcearn"})


def matchable_values(base: str, values: Iterable[str], *,
                     variables: bool = False) -> tuple[str, ...]:
    """The values of a clause with operator ``base`` that can match some request value: for an
    ARN operator those of six components -- IAM User Guide, "Amazon Resource Name (ARN)
    condition operators": "Each of the six colon-delimited components of the ARN is checked
    separately", so a value of fewer (``*``, ``arn:aws:iam::*``, ``arn:aws:iam::123456789012``)
    matches no ARN (``arn_condition_matches``). ``variables``: the values are not yet
    substituted; one with a policy variable is kept (what it becomes is not known here). The
    one reading for the evaluator (``evaluate_clause``) and the exposure concepts
    (scanner.policy.narrowing.narrows)."""
    if base not in _ARN_OPERATORS:
        return tuple(values)
    return tuple(v for v in values if arn_pattern_segments(v.strip()) is not None
                 or (variables and "${" in v))


def is_arn_value(value: str) -> bool:
    """Six colon-separated parts starting with ``arn``: what an ARN operator can compare (an
    ARN as scanner.policy.arn reads one)."""
    return parse_arn(value) is not None


def _absent_outcome(clause: ConditionClause, negated: bool) -> Tri:
    """The clause's truth when its key is absent from the request (IAM User Guide, "Condition
    operators": a positive operator is false, a negated one true; "...IfExists" is true;
    "Multivalued context keys": ForAllValues is true, ForAnyValue false)."""
    if clause.if_exists:
        return Tri.TRUE
    if clause.qualifier == "forallvalues":
        return Tri.TRUE
    if clause.qualifier == "foranyvalue":
        return Tri.FALSE
    return Tri.of(negated)


def evaluate_clause(clause: ConditionClause, request: Request,
                    variables: bool) -> tuple[Tri, tuple[str, ...]]:
    """(truth, unresolved names) for one operator/key pair.

    A plain operator (no ForAnyValue / ForAllValues) on a key AWS documents as multivalued
    (request.MULTIVALUED_KEYS) that may be in the request: IAM User Guide, "Single-valued vs.
    multivalued context keys": "Multivalued context keys require a condition set operator" --
    the result without one is not documented. Read value by value (some value matches; a
    negated operator: no value matches) it is decided only where that reading is false:
    public simulators read such a clause as matching nothing (cloud-copilot/iam-simulate:
    "Set operator is required for a multi-value key", false for the negated operators too),
    so a true answer is UNKNOWN, naming the key (IAM conformance trial round 19: StringLike
    aws:PrincipalOrgPaths and StringNotEquals aws:CalledVia were decided)."""
    truth, names = _evaluate_clause(clause, request, variables)
    if truth is Tri.TRUE and not clause.qualifier and clause.base != "null" and \
            clause.key in MULTIVALUED_KEYS and \
            request.key_state(clause.key) is not KeyState.ABSENT:
        return Tri.UNKNOWN, (f"{clause.operator} {clause.key} without ForAnyValue or "
                             "ForAllValues: a multivalued key",)
    return truth, names


def _evaluate_clause(clause: ConditionClause, request: Request,
                     variables: bool) -> tuple[Tri, tuple[str, ...]]:
    key = clause.key
    if clause.base == "null":
        return _null(clause, request)
    op = OPERATORS.get(clause.base)
    if op is None:
        return Tri.UNKNOWN, (f"unsupported operator {clause.operator}",)
    matcher, negated = op
    state = request.key_state(key)
    # the condition key's own absence decides before any variable in the values is looked at
    if state is KeyState.ABSENT:
        return _absent_outcome(clause, negated), ()
    policy_values: list[str] = []
    has_variables = False
    literal_marks = False  # a value holds LITERAL_STAR / LITERAL_QUESTION (an escape)
    variables = variables and takes_variables(clause.base)
    #: what the values whose variables could not be substituted leave unresolved
    pending: list[str] = []
    for v in clause.values:
        if variables and "${" in v:
            has_variables = True
            sub = substitute_variables(v, request)
            if sub.text is None:
                if not _unsubstituted_may_match(clause.base, v, request, key, state):
                    # whatever the variable stands for, the value's literal head is no
                    # request value's: it matches none, as a void value (IAM conformance
                    # trial round 35: StringLike aws:ResourceTag/owner "team-${aws:PrincipalTag/
                    # team}" left a secret tagged "ops" CONDITIONAL on the role's tag)
                    continue
                pending.extend(sub.unresolved)
                continue
            if sub.void:
                continue  # this value matches nothing
            if clause.base in _LIKE_OPERATORS and sub.pattern is not None:
                # IAM User Guide, "Variables and tags", special characters: "${*} - use where
                # you need an * (asterisk) character" -- the character, not a wildcard (IAM
                # conformance trial round 19); in the ARN operators too, which take wildcards
                # as StringLike does ("These predefined policy variables can be used in any
                # string where you can use regular policy variables"; round 35)
                literal_marks = True
                policy_values.append(sub.pattern)
                continue
            if clause.base not in _EXACT_STRING and sub.literal_wildcard:
                return Tri.UNKNOWN, (f"variable in {clause.operator} {key} expands to a pattern",)
            v = sub.text
        policy_values.append(v)
    if literal_marks and no_wildcard_character_key(key):
        # a pattern an escape put a ``*`` or ``?`` into matches only a value holding that
        # character, which no value of the key holds (``no_wildcard_character_key``): it
        # matches nothing, as a void value (IAM conformance trial round 35: StringLike
        # aws:PrincipalTag/team "a${*}" -- no tag value holds an asterisk)
        policy_values = [v for v in policy_values
                         if LITERAL_STAR not in v and LITERAL_QUESTION not in v]
        literal_marks = False
    if pending and state is not KeyState.KNOWN:
        return Tri.UNKNOWN, tuple(dict.fromkeys(pending))
    if literal_marks and state is KeyState.UNKNOWN:
        return Tri.UNKNOWN, (key,)
    # (a value known by its shape only -- request.excluded: an ARN of a known account, one of
    # an account no policy names -- is compared with the escapes' stand-ins as characters no
    # account, partition or service component holds: ArnLike aws:PrincipalArn
    # "arn:aws:iam::${*}:role/x" names no principal's ARN, as the solver reads it)
    if clause.base in _EXACT_STRING:
        # compared exactly, a value the key never has (never_a_value: ``*`` as an account id,
        # in an aws:userid or an organization path) matches no request: as a void value
        # (IAM conformance trial round 28: StringEquals aws:userid "*" left the outside
        # caller, whose aws:userid is not known, CONDITIONAL; the solver decided it)
        policy_values = [v for v in policy_values
                         if not never_a_value(key, compared_value(clause.base, v))]
    arn_op = clause.base in _ARN_OPERATORS
    if arn_op:
        # IAM User Guide, "Amazon Resource Name (ARN) condition operators": "Each of the six
        # colon-delimited components of the ARN is checked separately" -- a value of fewer
        # components (``*``, ``arn:aws:iam::*``) matches no ARN whatever the request's is, so
        # it is dropped like a void value (IAM conformance trial round 12: ArnLike
        # aws:PrincipalArn "*" left the principal whose ARN is unknown CONDITIONAL)
        policy_values = list(matchable_values(clause.base, policy_values))
    if clause.base == "bool" and not free_text_key(key):
        # IAM User Guide, "Condition operators": Bool is "Boolean matching" -- a key AWS
        # defines as Boolean is "true" or "false" when present, so a value that is neither
        # ("yes", an unsubstituted ${...}) matches no request, as a void value (IAM
        # conformance trial round 25: Bool aws:SecureTransport "yes" was CONDITIONAL on an
        # unknown key, the solver decided it)
        policy_values = [v for v in policy_values if v.strip().lower() in _BOOLEANS]
    if state is KeyState.UNKNOWN and key in TIME_KEYS and request.time_floor is not None:
        return _after_floor(clause, tuple(policy_values), request.time_floor, negated)
    if key == TOKEN_ISSUE_TIME and (state is KeyState.UNKNOWN or (
            state is KeyState.EXCLUDED and isinstance(request.excluded[key], _Present))):
        issued = _issued(clause, tuple(policy_values), request, negated,
                         present=state is KeyState.EXCLUDED)
        if issued is not None:
            return issued
    if state is KeyState.UNKNOWN:
        if not policy_values and (not (arn_op and negated) or key in ARN_VALUED_KEYS):
            # every value matches nothing: decided if absent and present agree. A negated ARN
            # operator is true of a present value only if it is an ARN (module doc): so only
            # for a key whose value always is one (``ARN_VALUED_KEYS``)
            present = Tri.of(negated)
            if _absent_outcome(clause, negated) is present:
                return present, ()
        if always_present(key, request):
            # in the request with one value not known (request.always_present): read as a
            # PRESENT key -- StringLike "*" matches it (IAM conformance trial round 17)
            return _present(clause, negated, key, tuple(policy_values))
        either = _either_way(clause, negated, key, tuple(policy_values))
        if either is not None:
            return either, ()
        return _undecided(clause, key, tuple(policy_values))
    one = request.excluded.get(key) if state is KeyState.EXCLUDED else None
    if isinstance(one, _OneOf):
        return _one_of(clause, request, key, one.members, variables)
    if state is KeyState.EXCLUDED:
        # the values after substitution: ``aws:PrincipalOrgID = ${aws:ResourceOrgID}`` compares
        # an outsider's organization, known not to be ours, with ours (IAM User Guide,
        # "Variables and tags": "the policy variables are replaced with values that come from
        # the conditional context keys passed in the request")
        return _excluded(clause, request, negated, key, tuple(policy_values))
    truth, names = _known(clause, request.values(key), tuple(policy_values), matcher,
                          negated, literal_marks, arn_op)
    if pending and truth is not Tri.of(not negated):
        # IAM User Guide, "Conditions with multiple context keys or values": the values of one
        # key are ORed -- a value not known may add a match, which decides nothing once the
        # known values matched (the positive operators true, the negated false); otherwise
        # the answer depends on it
        return Tri.UNKNOWN, tuple(dict.fromkeys(pending))
    return truth, names


def _unsubstituted_may_match(base: str, value: str, request: Request, key: str,
                             state: KeyState) -> bool:
    """Whether ``value`` (holding a policy variable not substituted) may match the key's value
    in ``request``: known values (``_head_may_match``), or an aws:PrincipalArn known by its
    account only (request._ArnOf: the literal head must agree with ``arn:<partition>:iam::
    <account>:``) or of an account no policy names (request._ArnOfUnnamed: a head that holds
    its account component whole -- ``matching.head_account`` -- names a policy's account,
    not the caller's). Else it may."""
    if state is KeyState.KNOWN:
        return _head_may_match(base, value, request.values(key))
    if state is not KeyState.EXCLUDED or base not in _STRING_OPERATORS | _ARN_OPERATORS or \
            base.endswith("ignorecase"):
        return True
    shape = request.excluded[key]
    head = value.split("${", 1)[0]
    if isinstance(shape, _ArnOfUnnamed):
        return head_account(head) is None
    if isinstance(shape, _ArnOf):
        if base in _LIKE_OPERATORS:
            head = literal_prefix(head)
        return head.startswith(shape.prefix) or shape.prefix.startswith(head)
    return True


def _head_may_match(base: str, value: str, req_values: tuple[str, ...]) -> bool:
    """Whether the policy value ``value`` (holding a policy variable not substituted) may
    match one of the request's ``req_values``: every value it stands for begins with its
    literal head -- the text before its first variable and, for the pattern operators
    (StringLike, the ARN operators: "Each of the six colon-delimited components of the ARN is
    checked separately", positionally), before its first wildcard -- compared case-folded for
    the IgnoreCase operators."""
    head = value.split("${", 1)[0]
    if base in _LIKE_OPERATORS:
        head = literal_prefix(head)
    if base.endswith("ignorecase"):
        return any(r.lower().startswith(head.lower()) for r in req_values)
    return any(r.startswith(head) for r in req_values)


#: the operators that compare a typed value, and the type (values.not_of_type). A request
#: value of a free-text key (a tag, an encryption-context pair) that is not of that type
#: matches neither the positive nor the negated operator -- the reading module doc gives the
#: ARN operators, and the one the public simulators' suites measure for these:
#: cloud-copilot/iam-simulate, "should return false if the test value is not a number"
#: (NumericEquals and NumericNotEquals alike), "... is not a date" (DateEquals and
#: DateNotEquals), "should be false if the key value is not a valid IP address" (IpAddress
#: and NotIpAddress). IAM conformance trial round 37: NumericLessThan aws:ResourceTag/level
#: on a secret tagged level = high was CONDITIONAL ("not a number"), while Bool on a tag
#: "yes" and ArnLike on a value that is no ARN were decided
_TYPED: dict[str, str] = {
    **{op: "num" for op in OPERATORS if op.startswith("numeric")},
    **{op: "date" for op in OPERATORS if op.startswith("date")},
    "ipaddress": "ip", "notipaddress": "ip"}


def _known(clause: ConditionClause, req_values: tuple[str, ...],
           policy_values: tuple[str, ...], matcher: Matcher, negated: bool,
           literal_marks: bool, arn_op: bool) -> tuple[Tri, tuple[str, ...]]:
    """The clause on a key whose values the request holds (``req_values``)."""
    key = clause.key
    if literal_marks:
        if any(LITERAL_STAR in r or LITERAL_QUESTION in r for r in req_values):
            return Tri.UNKNOWN, (key,)
        req_values = tuple(literal_pattern_value(r) for r in req_values)
    typed = _TYPED.get(clause.base)
    try:
        def valid(r: str) -> bool:
            # an ARN operator on a request value that is not an ARN matches neither way; so
            # does a numeric, date or IP address operator on a request value that is no
            # number, date or address (a tag "high" under NumericLessThan: ``_TYPED``)
            return (not arn_op or is_arn_value(r)) and (
                typed is None or not not_of_type(typed, r))

        def hits(r: str) -> bool:
            return valid(r) and any(matcher(r, p) for p in policy_values)

        def misses(r: str) -> bool:
            return valid(r) and not hits(r)

        if clause.qualifier == "forallvalues":
            if negated:
                return Tri.of(all(misses(r) for r in req_values)), ()
            return Tri.of(all(hits(r) for r in req_values)), ()
        if clause.qualifier == "foranyvalue":
            if negated:
                return Tri.of(any(misses(r) for r in req_values)), ()
            return Tri.of(any(hits(r) for r in req_values)), ()
        if negated:
            return Tri.of(all(misses(r) for r in req_values)), ()
        return Tri.of(any(hits(r) for r in req_values)), ()
    except Unparseable as exc:
        if any("${" in p for p in policy_values) and not takes_variables(clause.base):
            return Tri.UNKNOWN, (f"{clause.operator} {key}: {exc} (a policy variable is "
                                 f"not substituted in {clause.operator})",)
        return Tri.UNKNOWN, (f"{clause.operator} {key}: {exc}",)


#: the request's time: always in the request context, unknown, but not before the scan
TIME_KEYS = REQUEST_TIME_KEYS


def _after_floor(clause: ConditionClause, values: tuple[str, ...], floor: float,
                 negated: bool) -> tuple[Tri, tuple[str, ...]]:
    """A date (or, for aws:EpochTime, numeric) comparison of the request's time, which is
    unknown but not before ``floor``: decided when every time from ``floor`` on gives the same
    answer -- a window that closed before the scan never opens again, one that opened before
    it stays open. IAM User Guide, global condition keys, aws:CurrentTime: "Use this key to
    compare the date and time of the request with the date and time that you specify" and
    "This key is always included in the request context"; a verdict is about requests from
    the scan on. Else UNKNOWN, naming the key."""
    unknown = (Tri.UNKNOWN, (clause.key,))
    base = clause.base
    kind = "date" if base.startswith("date") else "numeric" if base.startswith("numeric") \
        else None
    if kind is None or (kind == "numeric" and clause.key != "aws:epochtime"):
        return unknown
    op = base[len(kind):]
    try:
        # a date value of four digits alone is read both ways (``date_readings``): decided
        # where both readings answer alike (IAM conformance trial round 29: "Deny if
        # DateLessThan aws:CurrentTime 2020" -- before the scan read either way -- left every
        # reader CONDITIONAL and a public grant under it reported)
        readings = [date_readings(v) if kind == "date" else (read_number(v),) for v in values]
    except Unparseable as exc:
        return Tri.UNKNOWN, (f"{clause.operator} {clause.key}: {exc}",)
    # for each value: is the comparison true for every time >= floor, false for every one?
    always = {"equals": lambda p: (False, p < floor), "notequals": lambda p: (p < floor, False),
              "lessthan": lambda p: (False, p <= floor),
              "lessthanequals": lambda p: (False, p < floor),
              "greaterthan": lambda p: (p < floor, False),
              "greaterthanequals": lambda p: (p <= floor, False)}.get(op)
    if always is None:
        return unknown
    answers: list[tuple[bool, bool]] = []
    for value, points in zip(values, readings):
        alike = {always(p) for p in points}
        if len(alike) > 1:
            return Tri.UNKNOWN, (f"{clause.operator} {clause.key}: {value!r} is a year (W3C) "
                                 "and epoch seconds alike",)
        answers.extend(alike)
    # one value per request: ForAnyValue / ForAllValues / IfExists read it as the plain form
    if negated:  # every value must differ (conditions' ``misses``): true when all lie before
        return (Tri.TRUE, ()) if all(t for t, _f in answers) else unknown
    if any(t for t, _f in answers):
        return Tri.TRUE, ()
    if all(f for _t, f in answers):
        return Tri.FALSE, ()
    return unknown


def _issued(clause: ConditionClause, values: tuple[str, ...], request: Request, negated: bool,
            *, present: bool) -> tuple[Tri, tuple[str, ...]] | None:
    """A date comparison of aws:TokenIssueTime, whose value is not known but, in a request from
    the scan on, not earlier than ``token_issue_floor`` (temporary credentials last 36
    hours at most): decided as ``_after_floor`` decides the request's time from that floor.
    ``present``: the key is in the request (a role signs with temporary credentials only);
    else it may be absent too (a user with long-term keys: "included in the request context
    only when the principal uses temporary credentials"), and the answer is decided only where
    absent and present agree -- the Deny of sessions revoked long ago is false both ways. None:
    no floor known."""
    floor = token_issue_floor(request)
    if floor is None:
        return None
    answer = _after_floor(clause, values, floor, negated)
    if present or answer[0] is Tri.UNKNOWN or answer[0] is _absent_outcome(clause, negated):
        return answer
    return Tri.UNKNOWN, (clause.key,)


def _null(clause: ConditionClause, request: Request) -> tuple[Tri, tuple[str, ...]]:
    """IAM User Guide, "Condition operator to check existence of condition keys": "Use a Null
    condition operator to check if a condition key is absent at the time of authorization".
    Null compares no values, so a ForAnyValue / ForAllValues qualifier has nothing to range
    over: ``ForAnyValue:Null`` and ``ForAllValues:Null`` answer as ``Null`` (the behaviour
    measured by public simulators' suites, e.g. cloud-copilot/iam-simulate "should treat
    ForAnyValue:Null the same as Null"). ``NullIfExists`` does not exist ("You can add IfExists
    to the end of any condition operator name except the Null condition"): UNKNOWN."""
    key = clause.key
    if clause.if_exists:
        return Tri.UNKNOWN, (f"unsupported operator {clause.operator}",)
    wants_absent = [v.strip().lower() for v in clause.values]
    if any(v not in ("true", "false") for v in wants_absent):
        return Tri.UNKNOWN, (f"Null {key}: value must be true or false",)
    if {"true", "false"} <= set(wants_absent):
        # IAM User Guide, "Conditions with multiple context keys or values": "If a
        # single condition operator includes multiple values for a context key, those values
        # are evaluated using a logical OR" -- absent OR present holds whatever the request
        # (IAM conformance trial round 28: CONDITIONAL on the key; the solver alike: true)
        return Tri.TRUE, ()
    state = request.key_state(key)
    if state is KeyState.EXCLUDED and isinstance(request.excluded[key],
                                                 (_EveryLiteral, _ArnOf, _ArnOfUnnamed,
                                                  _Present, _OneOf, _UniqueIdOf, _Under)):
        state = KeyState.KNOWN  # present: an account no policy names, but an account; an
        # ARN of a known account, but an ARN; a value not known, but a value (PRESENT); one
        # of a known set of values, but one (ONE_OF: an IAM caller's aws:PrincipalType, IAM
        # User Guide, global condition keys: "This key is included in the request context
        # for all signed requests"; IAM conformance trial round 14)
    if state is KeyState.UNKNOWN and always_present(key, request):
        state = KeyState.KNOWN  # in every signed request (request.always_present)
    if state in (KeyState.UNKNOWN, KeyState.EXCLUDED):
        return Tri.UNKNOWN, (key,)
    absent = state is KeyState.ABSENT
    return Tri.of(any((v == "true") == absent for v in wants_absent)), ()


#: keys whose values AWS defines in lower case only, so a case-insensitive comparison with an
#: excluded value decides as the exact one does (Organizations API Reference, Organization
#: ``Id``: "^o-[a-z0-9]{10,32}$")
LOWER_CASE_VALUES = frozenset({"aws:principalorgid", "aws:resourceorgid"})
#: what every value of those keys looks like (the length aside: tests and examples abbreviate)
_ORG_ID_FORM = re.compile(r"o-[a-z0-9]+")


#: keys whose value is an account id: IAM User Guide, "AWS global condition context keys"
#: (aws:PrincipalAccount "the account to which the requesting principal belongs",
#: aws:ResourceAccount, aws:SourceAccount) and KMS Developer Guide (kms:CallerAccount "the
#: AWS account ID of the caller"); an account id is "a 12-digit number" (AWS Account
#: Management Reference Guide, "View AWS account identifiers")
ACCOUNT_ID_KEYS = frozenset({"aws:principalaccount", "aws:resourceaccount",
                             "aws:sourceaccount", "kms:calleraccount"})


#: keys no value of which holds ``*`` or ``?``: aws:userid -- a unique id, an account id, and a
#: role session or federated user name (STS API Reference, AssumeRole RoleSessionName and
#: GetFederationToken Name: "[\w+=,.@-]*") -- and the organization paths, ids joined by ``/``
#: (Organizations API Reference: Organization Id "^o-[a-z0-9]{10,32}$", Root Id
#: "^r-[0-9a-z]{4,32}$", OrganizationalUnit Id "^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$")
NO_WILDCARD_CHARACTER_KEYS = frozenset({"aws:userid", "aws:principalorgpaths",
                                        "aws:resourceorgpaths", "aws:sourceorgpaths"})
#: prefixes of keys no value of which holds ``*`` or ``?`` either: a principal's tags, an IAM
#: user's or role's (IAM API Reference, Tag: Value "Pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]*")
#: or its session's (STS API Reference, Tag: the same pattern) -- aws:PrincipalTag/<key> is
#: one of them ("the tag attached to the principal making the request")
NO_WILDCARD_CHARACTER_PREFIXES = ("aws:principaltag/",)


def no_wildcard_character_key(key: str) -> bool:
    """``key`` (lower case) never has a value holding ``*`` or ``?``
    (``NO_WILDCARD_CHARACTER_KEYS``, ``NO_WILDCARD_CHARACTER_PREFIXES``; an account id,
    ``ACCOUNT_ID_KEYS``, is 12 digits, an organization id, ``LOWER_CASE_VALUES``, o- and lower
    case letters and digits): the one reading for the evaluator (``never_a_value``, the
    ``${*}`` / ``${?}`` escapes) and the solver."""
    return key in NO_WILDCARD_CHARACTER_KEYS or key in ACCOUNT_ID_KEYS or \
        key in LOWER_CASE_VALUES or key.startswith(NO_WILDCARD_CHARACTER_PREFIXES)


def never_a_value(key: str, value: str) -> bool:
    """``value`` is no value ``key`` can have: for an organization id key (LOWER_CASE_VALUES)
    text not of the id's form -- the literal ``${aws:ResourceOrgID}`` of a Version 2008-10-17
    policy (IAM User Guide, "Version": variables are then "treated as literal strings"), an id
    in capitals; for an account id key (ACCOUNT_ID_KEYS) text not of 12 digits -- ``*`` or
    ``11111111111?`` compared by StringEquals, which "Exact matching" reads as the characters
    (IAM User Guide, "String condition operators": only StringLike takes wildcards) -- and for
    aws:userid and the organization paths (NO_WILDCARD_CHARACTER_KEYS) text holding ``*`` or
    ``?``. Compared
    exactly, it equals no request's value (IAM conformance trial round 23: the outsider's
    StringNotEquals of it was UNKNOWN, the solver -- which knows the form -- decided it; round
    28: Allow * under StringEquals aws:PrincipalAccount "*" was public without --prove, the
    solver -- whose accounts are 12 digits -- found no reader)."""
    if key in ACCOUNT_ID_KEYS:
        return not is_account_id(value)
    if key in LOWER_CASE_VALUES:
        return _ORG_ID_FORM.fullmatch(value) is None
    return no_wildcard_character_key(key) and ("*" in value or "?" in value)


def _every_account(pattern: str) -> bool:
    """A StringLike pattern every account id (12 digits) matches: wildcards only, at most 12
    ``?``, and exactly 12 unless a ``*`` takes the rest."""
    if pattern.strip("*?"):
        return False
    ones = pattern.count("?")
    return ones == 12 or ("*" in pattern and ones <= 12)


def _excluded(clause: ConditionClause, request: Request, negated: bool,
              key: str, values: tuple[str, ...]) -> tuple[Tri, tuple[str, ...]]:
    """The key's value is unknown (or absent) but known to be none of ``excluded[key]``.

    Decided when every value of the clause can only match an excluded value: a string
    compared exactly (StringEquals; StringLike without ``*`` or ``?``, which IAM matches
    literally; the IgnoreCase forms for keys whose values are lower case). Then the positive
    operators are false and the negated ones true, also when the key is absent -- IAM User
    Guide, "Condition operators": a missing key makes a positive operator false and a negated
    one true. With a qualifier (the key seen as a set of at most one value): ForAnyValue with
    a positive operator is false (no value matches, also for the empty set), ForAllValues with
    a negated one true (every value, or none, differs), ForAnyValue with a negated one and
    ``IfExists`` true (the one value differs, or the key is absent and IfExists holds); the
    other combinations depend on whether the key is present, which is not known.
    """
    excluded = request.excluded[key]
    base = clause.base
    if isinstance(excluded, _ArnOf):
        return _arn_of(clause, excluded, negated, key, values)
    if isinstance(excluded, _Present):
        return _present(clause, negated, key, values)
    if isinstance(excluded, _ArnOfUnnamed):
        return _arn_of_unnamed(clause, negated, key, values)
    if isinstance(excluded, _UniqueIdOf):
        return _unique_id(clause, excluded, negated, key, values)
    if isinstance(excluded, _Under):
        return _under(clause, excluded.prefix, negated, key, values)
    if isinstance(excluded, _NotUnder):
        # every value under a prefix (an outsider's aws:PrincipalOrgPaths under our org id):
        # a value, or a pattern whose head is the prefix itself, can only match an excluded
        # value; organization paths are lower case (o-, r-, ou- ids), so the IgnoreCase forms
        # compare alike
        if base in ("stringequals", "stringnotequals"):
            literal = all(v in excluded for v in values)
        elif base in ("stringequalsignorecase", "stringnotequalsignorecase"):
            literal = all(v.lower() in excluded for v in values)
        elif base in ("stringlike", "stringnotlike"):
            literal = all(excluded.covers_pattern(v) for v in values)
        else:
            literal = False
    elif base in ("stringequals", "stringnotequals"):
        literal = all(v in excluded or never_a_value(key, v) for v in values)
    elif base in ("stringlike", "stringnotlike"):
        literal = all("*" not in v and "?" not in v and v in excluded for v in values)
    elif base in ("numericequals", "numericnotequals") and isinstance(excluded, _EveryLiteral):
        literal = True  # an account no policy names equals none of the numbers named
    elif base in ("stringequalsignorecase", "stringnotequalsignorecase") and \
            isinstance(excluded, _EveryLiteral):
        literal = all(v in excluded or never_a_value(key, v) for v in values)
    elif base in ("stringequalsignorecase", "stringnotequalsignorecase") and \
            key in LOWER_CASE_VALUES:
        folded = {e.lower() for e in excluded}
        literal = all(v.lower() in folded or never_a_value(key, v.lower()) for v in values)
    else:
        literal = False
    if isinstance(excluded, _EveryLiteral):
        # an account key of "anyone" (the '*' path): always in the request, one 12-digit
        # value no policy names -- so IfExists and the set qualifiers read as the plain form
        if base in ("stringlike", "stringnotlike") and any(_every_account(v) for v in values):
            return (Tri.FALSE, ()) if negated else (Tri.TRUE, ())
        if literal:
            return (Tri.TRUE, ()) if negated else (Tri.FALSE, ())
        return Tri.UNKNOWN, (key,)
    if not literal:
        return Tri.UNKNOWN, (key,)
    if clause.qualifier == "foranyvalue":
        if negated:
            # present, its one value differs; absent, IfExists holds ("If the key is not
            # present, evaluate the condition element as true"): true either way (IAM
            # conformance trial round 31); without IfExists an absent key makes it false
            return (Tri.TRUE, ()) if clause.if_exists else (Tri.UNKNOWN, (key,))
        return (Tri.UNKNOWN, (key,)) if clause.if_exists else (Tri.FALSE, ())
    if clause.qualifier == "forallvalues":
        return (Tri.TRUE, ()) if negated else (Tri.UNKNOWN, (key,))
    if negated:
        return Tri.TRUE, ()
    return (Tri.UNKNOWN, (key,)) if clause.if_exists else (Tri.FALSE, ())


def _one_of(clause: ConditionClause, request: Request, key: str, members: frozenset[str],
            variables: bool) -> tuple[Tri, tuple[str, ...]]:
    """A key present in the request with one value, one of ``members`` (request._OneOf: the
    aws:PrincipalType of an IAM caller whose kind is not known -- IAM User Guide, "AWS global
    condition context keys", aws:PrincipalType: Account, User, FederatedUser, AssumedRole or
    Anonymous, and Secrets Manager and KMS take no anonymous calls). The clause is evaluated
    for each member as the request's one value (a known value: the qualifiers and
    ``IfExists`` read as the plain operator -- "Multivalued context keys": ForAllValues "returns
    true if every context key value in the request matches at least one context key value in
    the policy", ForAnyValue "if any one of the context key values in the request matches");
    decided when every member gives the same answer (StringEquals "Service" false,
    StringNotEquals of all four true), else UNKNOWN, naming the key (StringEquals
    "AssumedRole": which kind asks is not known). IAM conformance trial round 14."""
    answers: set[Tri] = set()
    for member in sorted(members):
        probe = replace(request, context={**request.context, key.lower(): (member,)})
        truth, names = evaluate_clause(clause, probe, variables)
        if truth is Tri.UNKNOWN:
            return Tri.UNKNOWN, names or (key,)
        answers.add(truth)
    if len(answers) == 1:
        return answers.pop(), ()
    return Tri.UNKNOWN, (key,)


#: keys AWS gives as an IP address (IAM User Guide, "AWS global condition context keys":
#: aws:SourceIp and aws:VpcSourceIp, "Data type: IP address"), IPv4 or IPv6
IP_ADDRESS_KEYS = frozenset({"aws:sourceip", "aws:vpcsourceip"})
_EVERY_ADDRESS = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))


def matches_every_value(base: str, key: str, values: Iterable[str]) -> bool:
    """The clause's values (ORed: IAM User Guide, "Conditions with multiple context keys or
    values") match every value ``key`` can hold when present: ``*`` alone in StringLike /
    StringNotLike (a "multi-character match wildcard"), both ``true`` and ``false`` in Bool on
    a key AWS defines as Boolean (not ``free_text_key``), ranges adding up to every IPv4 and
    every IPv6 address in IpAddress / NotIpAddress on a key that holds an IP address
    (``IP_ADDRESS_KEYS``). A value that is no IP range leaves it undecided (never a
    confident answer on malformed input). IAM conformance trial round 30: IpAddressIfExists
    aws:SourceIp [0.0.0.0/0, ::/0] and a role's Bool aws:MultiFactorAuthPresent [true, false]
    were CONDITIONAL, the solver true."""
    values = tuple(values)
    if base in ("stringlike", "stringnotlike"):
        return any(v and not v.strip("*") for v in values)
    if base == "bool":
        return not free_text_key(key) and \
            {v.strip().lower() for v in values} >= set(_BOOLEANS)
    if base in ("ipaddress", "notipaddress") and key in IP_ADDRESS_KEYS:
        try:
            nets = [ip_value(v) for v in values]
        except Unparseable:
            return False
        v4 = [n for n in nets if isinstance(n, ipaddress.IPv4Network)]
        v6 = [n for n in nets if isinstance(n, ipaddress.IPv6Network)]
        return list(ipaddress.collapse_addresses(v4)) == [_EVERY_ADDRESS[0]] and \
            list(ipaddress.collapse_addresses(v6)) == [_EVERY_ADDRESS[1]]
    return False


def _either_way(clause: ConditionClause, negated: bool, key: str,
                values: tuple[str, ...]) -> Tri | None:
    """The answer of a clause whose values match every value of its key
    (``matches_every_value``: StringLike "*", Bool both ways, every IP address) on a key that
    may be absent or present with values not known, when every case gives one: present, the
    positive operator is true and the negated one false for every value; absent,
    "...IfExists" is true ("If the key is not present, evaluate the condition element as
    true"), ForAllValues true and ForAnyValue false ("Multivalued context keys") and the plain
    operator as any absent key's (``_absent_outcome``). A multivalued key (MULTIVALUED_KEYS)
    may also be present with no value: ForAllValues true, ForAnyValue false, the plain
    operator false, its negation true. None: the cases disagree -- the value (or its
    presence) decides. IAM conformance trial round 28: StringLikeIfExists aws:SourceVpce "*"
    was CONDITIONAL on the key, the solver true; round 30: IpAddressIfExists aws:SourceIp
    [0.0.0.0/0, ::/0] alike."""
    if not matches_every_value(clause.base, key, values):
        return None
    some = Tri.of(not negated)  # present with values: every value hits (misses)
    # present with no value: ForAllValues true, ForAnyValue false, the plain operator false
    # (its negation true)
    empty = {"forallvalues": Tri.TRUE, "foranyvalue": Tri.FALSE}.get(clause.qualifier or "",
                                                                      Tri.of(negated))
    outcomes = {_absent_outcome(clause, negated), some}
    if key in MULTIVALUED_KEYS:
        outcomes.add(empty)
    return outcomes.pop() if len(outcomes) == 1 else None


def _present(clause: ConditionClause, negated: bool, key: str,
             values: tuple[str, ...]) -> tuple[Tri, tuple[str, ...]]:
    """A key present in the request with one value that is not known (request.PRESENT: the
    encryption-context keys of the Decrypt Secrets Manager makes). IAM User Guide, "Condition
    operators": StringLike takes "multi-character match wildcards (*) ... anywhere in the
    string" -- a value of ``*`` alone matches every string, so the positive operator is true
    and StringNotLike false. One value, present: ``IfExists`` and the set qualifiers read as
    the plain operator ("Multivalued context keys": ForAnyValue is true when some value
    matches, ForAllValues when every one does). A string comparison whose values all match
    nothing (void variables) is false, its negation true. Any other comparison depends on the
    value: UNKNOWN, naming the key."""
    base = clause.base
    if matches_every_value(base, key, values):
        # ``*`` in StringLike, both booleans in Bool, every address (matches_every_value; IAM
        # conformance trial round 30: a role's Bool aws:MultiFactorAuthPresent [true, false])
        return Tri.of(not negated), ()
    if not values and base.startswith("string"):
        return Tri.of(negated), ()
    return _undecided(clause, key, values)


#: how the values of the typed operators are read (the matchers' parsers, ``OPERATORS``)
_VALUE_PARSERS: tuple[tuple[str, Callable[[str], object]], ...] = (
    ("numeric", read_number), ("date", date_readings), ("ipaddress", ip_value),
    ("notipaddress", ip_value))


def _undecided(clause: ConditionClause, key: str,
               values: tuple[str, ...]) -> tuple[Tri, tuple[str, ...]]:
    """UNKNOWN for a clause on a key whose value is not known, naming the key -- or, when a
    value of a numeric, date or IP address operator is no number, date or address, naming
    that value: "an unparseable number / date / IP" leaves the statement UNKNOWN "with the
    reason" (docs/access.md), as it does where the key's value is known. IAM conformance
    trial round 30: Allow under IpAddress aws:SourceIp "10.0.0.0/33" read "applies only if:
    aws:sourceip", as if the range were one."""
    parse = next((f for prefix, f in _VALUE_PARSERS if clause.base.startswith(prefix)), None)
    if parse is None:
        return Tri.UNKNOWN, (key,)
    for value in values:
        try:
            parse(value)
        except Unparseable as exc:
            note = f" (a policy variable is not substituted in {clause.operator})" \
                if "${" in value and not takes_variables(clause.base) else ""
            return Tri.UNKNOWN, (f"{clause.operator} {key}: {exc}{note}",)
    return Tri.UNKNOWN, (key,)


def _by_shape(base: str, values: tuple[str, ...], negated: bool, key: str,
              matches_all: Callable[[str], bool], may_match: Callable[[str], bool]
              ) -> tuple[Tri, tuple[str, ...]]:
    """The answer of a string comparison on a present key whose value is known by its shape
    only (``_under``, ``_unique_id``): a value that matches every string of the shape makes
    the positive operator true and the negated false; no value that may match one makes the
    positive false and the negated true; else UNKNOWN, naming the key. Not a string operator:
    UNKNOWN."""
    if base not in _STRING_OPERATORS:
        return Tri.UNKNOWN, (key,)
    if any(matches_all(v) for v in values):
        return Tri.of(not negated), ()
    if not any(may_match(v) for v in values):
        return Tri.of(negated), ()
    return Tri.UNKNOWN, (key,)


def _under(clause: ConditionClause, prefix: str, negated: bool, key: str,
           values: tuple[str, ...]) -> tuple[Tri, tuple[str, ...]]:
    """A key present with one value beginning with ``prefix``, the rest not known (request.
    _Under: a member's aws:PrincipalOrgPaths, its place in our organization not read; a Lambda
    function's aws:SourceArn, its qualifier not known: scanner.access.context.
    service_requests).
    Decided where the prefix decides: a pattern of wildcards after a part of the prefix
    (StringLike ``o-id/*``, ``*``) matches the value -- the positive operators true, the
    negated false; a value (StringEquals; IgnoreCase both case-folded) or a pattern's literal
    head that disagrees with the prefix (another
    organization's ``o-other/*``) cannot -- the positive false, the negated true. One value,
    present: a qualifier or ``IfExists`` reads as the plain operator ("Multivalued context
    keys"). Else (an OU below the root) UNKNOWN, naming the key (IAM conformance trial round
    22)."""
    base = clause.base

    def may_match(v: str) -> bool:
        if base in ("stringequals", "stringnotequals"):
            return v.startswith(prefix)
        if base in ("stringequalsignorecase", "stringnotequalsignorecase"):
            # both sides case-folded: "Exact matching, ignoring case" (a function ARN's
            # name may hold capitals; IAM conformance trial round 34)
            return v.lower().startswith(prefix.lower())
        head = literal_prefix(v)
        return head.startswith(prefix) or prefix.startswith(head)

    def matches_all(v: str) -> bool:
        head = literal_prefix(v)
        return base in ("stringlike", "stringnotlike") and prefix.startswith(head) and \
            not v[len(head):].strip("*")

    return _by_shape(base, values, negated, key, matches_all, may_match)


def _unique_id(clause: ConditionClause, shape: _UniqueIdOf, negated: bool, key: str,
               values: tuple[str, ...]) -> tuple[Tri, tuple[str, ...]]:
    """aws:userid of a role session or an IAM user, its unique id not known (request.
    _UniqueIdOf: ``AROA<id>:<session name>`` for a role, ``AIDA<id>`` for a user). Decided
    where the shape decides: a value that no string of the shape can equal (StringEquals
    ``AIDA...`` or ``<account>`` for a role; IgnoreCase compared case-folded) or a pattern
    whose literal head disagrees with the prefix (StringLike ``AIDA*``, ``<account>:*``), or
    holds a ``:`` a user's id never has, matches none -- the positive operators false, the
    negated true; a pattern of wildcards after a part of the prefix (``AROA*``, ``*``, and
    for a role ``AROA*:*``) matches every one -- the positive true, the negated false. The
    key is present with one value (aws:userid: "included in the request context for all
    signed requests"), so a qualifier or ``IfExists`` reads as the plain operator. Else
    (``AROAEXAMPLEID:*``: which role has that id) UNKNOWN, naming the key (IAM conformance
    trial round 22). A role whose unique id the snapshot holds (``shape.known``): its value
    begins ``<id>:``, so ``<id>:*`` matches every one and another id none; only a session
    name (``<id>:nightly``) stays UNKNOWN (ground-truth trial round 22)."""
    base = clause.base
    rx = re.compile(shape.regex, re.IGNORECASE if base.endswith("ignorecase") else 0)
    fixed = shape.head

    def may_match(v: str) -> bool:
        if shape.taken and not shape.known:
            # the id it names is another principal's (the snapshot's): not this one's
            named = v.partition(":")[0] if shape.session else v
            if not any(ch in named for ch in "*?") and (
                    named.upper() if base.endswith("ignorecase") else named) in shape.taken:
                return False
        if base in _EXACT_STRING:
            return rx.fullmatch(v) is not None
        head = literal_prefix(v)
        if head == v:  # no wildcard: StringLike compares it literally
            return rx.fullmatch(v) is not None
        if not (head.startswith(fixed) or fixed.startswith(head)):
            return False
        return shape.session or ":" not in v

    def matches_all(v: str) -> bool:
        if base not in ("stringlike", "stringnotlike"):
            return False
        head = literal_prefix(v)
        if head == v or not fixed.startswith(head):  # no wildcard: one value, not all
            return False
        rest = v[len(head):]
        if not rest.strip("*"):
            return True
        # a role's: the id, a colon, the session name (neither holds a colon); with the id
        # known and written out, nothing of it is left before the colon
        first, colon, second = rest.partition(":")
        id_left = bool(first) or not (shape.known and head == shape.prefix)
        return shape.session and bool(colon) and id_left and not first.strip("*") \
            and bool(second) and not second.strip("*")

    if base in _ARN_OPERATORS:
        # never an ARN: an ARN operator matches it neither way (module doc)
        return Tri.FALSE, ()
    return _by_shape(base, values, negated, key, matches_all, may_match)


def _arn_of(clause: ConditionClause, shape: _ArnOf, negated: bool, key: str,
            values: tuple[str, ...]) -> tuple[Tri, tuple[str, ...]]:
    """aws:PrincipalArn known only by its account (request._ArnOf: ``arn:<partition>:iam::
    <account>:`` and a resource not known). Decided where no value can match any such ARN:
    IAM User Guide, "Amazon Resource Name (ARN) condition operators": "Each of the six
    colon-delimited components of the ARN is checked separately" -- a value whose partition,
    service, Region or account component cannot match the known ones (``arn:aws:iam::
    111111111111:role/*`` for an ARN of account 999999999999) matches none of them, whatever
    the resource; a string comparison whose literal head disagrees with the known head
    alike. The key is present (aws:PrincipalArn: "This key is included in the request context
    for all signed requests"), so a qualifier or ``IfExists`` reads as the plain operator:
    the positive operators false, the negated true. Else UNKNOWN, naming the key (IAM
    conformance trial round 12: a Deny unless ArnNotLike another account's roles left a
    whole-account grant and an unread account's stand-in CONDITIONAL)."""
    known = shape.prefix
    base = clause.base

    def may_match(v: str) -> bool:
        if base in _ARN_OPERATORS:
            parts = arn_pattern_segments(v)
            if parts is None or not all(glob_match(p, f) for p, f in zip(
                    parts[:5], ("arn", shape.partition, "iam", "", shape.account))):
                return False
            # the resource component: some value beginning with the known head
            head = literal_prefix(parts[5])
            return head.startswith(shape.resource) or shape.resource.startswith(head)
        if base in ("stringequals", "stringnotequals"):
            return v.startswith(known)
        if base in ("stringequalsignorecase", "stringnotequalsignorecase"):
            # compared case-folded (IAM User Guide, "String condition operators":
            # StringEqualsIgnoreCase "Exact matching, ignoring case"; IAM conformance trial
            # round 14: StringNotEqualsIgnoreCase of another account's root left it open)
            return v.lower().startswith(known.lower())
        head = literal_prefix(v)
        return known.startswith(head) or head.startswith(known)

    def matches_all(v: str) -> bool:
        # a pattern every such ARN matches: its known components matched, and the rest of
        # the resource (after the head known) by wildcards alone (IAM conformance trial round
        # 31: ArnLike arn:aws:iam::<its account>:* was UNKNOWN, the solver proved it)
        if base in _ARN_OPERATORS:
            parts = arn_pattern_segments(v)
            if parts is None or not all(glob_match(p, f) for p, f in zip(
                    parts[:5], ("arn", shape.partition, "iam", "", shape.account))):
                return False
            pattern, fixed = parts[5], shape.resource
        elif base in ("stringlike", "stringnotlike"):
            pattern, fixed = v, known
        else:
            return False
        head = literal_prefix(pattern)
        rest = pattern[len(head):]
        return fixed.startswith(head) and bool(rest) and not rest.strip("*")

    if base not in _ARN_OPERATORS and base not in _STRING_OPERATORS:
        return Tri.UNKNOWN, (key,)
    if any(matches_all(v) for v in values):
        return Tri.of(not negated), ()
    if any(may_match(v) for v in values):
        return Tri.UNKNOWN, (key,)
    return Tri.of(negated), ()


def _arn_of_unnamed(clause: ConditionClause, negated: bool, key: str,
                    values: tuple[str, ...]) -> tuple[Tri, tuple[str, ...]]:
    """aws:PrincipalArn of the ``*`` path (request._ArnOfUnnamed): an ARN whose account
    component is an account no policy names. Decided only where every value names its account
    literally -- IAM User Guide, "Amazon Resource Name (ARN) condition operators": "Each of the
    six colon-delimited components of the ARN is checked separately", so ``arn:aws:iam::
    111111111111:*`` matches no ARN of another account; a StringLike pattern whose literal
    head holds the whole account component alike (``matching.head_account``:
    ``arn:aws:iam::111111111111*``); an exact string comparison (StringEquals and its
    IgnoreCase form, compared case-folded) always -- its value is a literal the account no
    policy names is not, or has fewer than six components and equals no ARN (IAM
    conformance trial round 14). A wildcard in the account component
    (``arn:aws:iam::*:role/Reader``, ``arn:aws:iam::1111*:*``), an empty one, or an ARN
    operator's value that is no six-component ARN leaves it UNKNOWN: the ``*`` path covers
    every principal of every account no policy names, and such a value may name one of
    them. The key is present
    (aws:PrincipalArn: "This key is included in the request context for all signed
    requests"), so a qualifier or ``IfExists`` reads as the plain operator (concept review
    round 3: a Deny unless ArnNotLike the own account's ARNs left the ``*`` path CONDITIONAL
    and secret-policy-public FAILed without --prove, PASSed with it)."""
    base = clause.base

    def names_its_account(v: str) -> bool:
        if base in _LIKE_OPERATORS and matches_no_principal_arn(v):
            # a pattern no principal's ARN matches (matching.matches_no_principal_arn: a
            # head of 13 digits where the 12-digit account is, ``ARN:`` in capitals, an empty
            # account): false for the caller of the ``*`` path (IAM conformance trial round
            # 15: left UNKNOWN, the verdict depended on --prove)
            return True
        if base in _ARN_OPERATORS:
            parts = arn_pattern_segments(v)
            return parts is not None and bool(parts[4]) and \
                not any(ch in parts[4] for ch in "*?")
        if base in _EXACT_STRING:
            # an exact comparison (IgnoreCase: case-folded; account ids are digits) of a value
            # naming an account -- any literal, which the account no policy names is not --
            # or of a value of fewer than six components, which equals no ARN (IAM
            # conformance trial round 14: StringNotEquals arn:aws:iam::<ours>, five
            # components, and StringNotEqualsIgnoreCase arn:aws:iam::<ours>:root were left
            # open): never the caller's ARN
            return True
        # StringLike: the literal head holds the whole account component (matching.
        # head_account: arn:aws:iam::<ours>* does, arn:aws:iam::1111* does not)
        return head_account(v) is not None

    if base not in _ARN_OPERATORS and base not in _STRING_OPERATORS:
        return Tri.UNKNOWN, (key,)
    # no value left (each of fewer than six components: conditions.matchable_values) matches
    # no ARN at all: decided as well
    if not all(names_its_account(v) for v in values):
        return Tri.UNKNOWN, (key,)
    return Tri.of(negated), ()


def false_clause(clauses: tuple[ConditionClause, ...], request: Request,
                 variables: bool) -> ConditionClause | None:
    """The first clause that is false for ``request`` (None: none is): the one that keeps
    its statement from applying, since the clauses of a Condition block are ANDed."""
    for clause in clauses:
        if evaluate_clause(clause, request, variables)[0] is Tri.FALSE:
            return clause
    return None


def evaluate_conditions(clauses: tuple[ConditionClause, ...], request: Request,
                        variables: bool) -> tuple[Tri, tuple[str, ...]]:
    """AND of all clauses; unresolved names are reported only while the answer is UNKNOWN."""
    results: list[Tri] = []
    unresolved: list[str] = []
    for clause in clauses:
        truth, names = evaluate_clause(clause, request, variables)
        if truth is Tri.FALSE:
            return Tri.FALSE, ()
        results.append(truth)
        if truth is Tri.UNKNOWN:
            unresolved.extend(names)
    truth = all3(results)
    return truth, tuple(dict.fromkeys(unresolved)) if truth is Tri.UNKNOWN else ()
