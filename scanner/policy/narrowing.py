"""Whom a statement's conditions let in: the narrowing condition keys and operators, whether a
clause shuts out everyone but a known population (``narrows``: every value names its account,
organization, endpoint or principal literally), the accounts a clause names
(``condition_accounts``, ``mentioned_accounts``), the accounts a ``*`` statement is confined to
(``confined_accounts``) and the organizations it names (``condition_organizations``). The
building blocks of scanner.policy.exposure's concepts ("public", "outside the trust zone",
"over-broad"), each defined once, read by the rules, the access analysis and remediation
through it or directly."""

from __future__ import annotations

import re

from scanner.policy.arn import arn_account, is_account_id, principal_account, resource_account
from scanner.policy.conditions import matchable_values
from scanner.policy.matching import compared_value, head_account
from scanner.policy.parse import ConditionClause, Statement
from scanner.policy.request import SIGNED_REQUEST_KEYS


#: Condition keys that restrict *who* can use an Allow (an org, an account, a principal, a
#: network path). A statement with a positive condition on one of these is "narrowed". A
#: condition narrows only when it fails for a request that lacks the key: ``...IfExists`` and
#: ``Null`` do not ("...IfExists: if the key is not present, the condition evaluates to true",
#: IAM User Guide, condition operators), nor do negated operators or the value ``*``.
#: ``aws:SourceIp`` is not one: it limits where a request comes from, not whose it is -- a
#: principal of any account calling from that range matches. Nor is ``aws:ResourceOrgID``: it
#: is the organization of the secret itself (always ours), not of the caller.
NARROWING_KEYS = frozenset({
    "aws:principalorgid", "aws:principalorgpaths", "aws:principalaccount", "aws:principalarn",
    "aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid", "aws:sourceorgpaths",
    "aws:sourcevpce", "aws:sourcevpc", "aws:userid", "aws:principalservicename",
    "kms:calleraccount",
})


#: narrowing keys every request a resource policy's ``*`` can let in carries: IAM User Guide,
#: "AWS global condition context keys", aws:PrincipalAccount, aws:PrincipalArn and aws:userid,
#: each: "This key is included in the request context for all signed requests. Anonymous
#: requests do not include this key." -- and Secrets Manager and KMS take no anonymous calls
#: (docs/access.md, the ``*`` path). ForAllValues on such a key (one value, always there) is
#: the plain operator: it narrows as StringEquals does (IAM conformance trial round 12:
#: ForAllValues:StringEquals aws:PrincipalAccount on a ``*`` grant was read as public).
#: ForAllValues on any other key stays not narrowing (the key may be absent: true)
ALWAYS_PRESENT = NARROWING_KEYS & SIGNED_REQUEST_KEYS  # principalaccount, arn, userid


#: keys whose values name an account, and keys whose values are ARNs naming one
ACCOUNT_KEYS = frozenset({"aws:principalaccount", "kms:calleraccount", "aws:sourceaccount"})


ARN_KEYS = frozenset({"aws:principalarn", "aws:sourcearn"})


_ORG_PATH_KEYS = frozenset({"aws:principalorgpaths", "aws:sourceorgpaths"})


_POSITIVE = frozenset({"stringequals", "stringlike", "stringequalsignorecase", "arnequals",
                       "arnlike"})


#: the operators whose values can name who gets in: equality and patterns (numeric equality
#: of an account id too). IAM User Guide, "Condition operators": a negated operator "if the
#: ... key is not present, the condition is true", and it matches every other value
_NARROWING_OPERATORS = _POSITIVE | {"numericequals"}


def narrows(c: ConditionClause, *, variables: bool = True) -> bool:
    """Whether one condition clause shuts out a request that lacks its key, and lets in only
    a known population: every value names its account or organization literally. A pattern
    with a wildcard there (``arn:aws:iam::*:role/Reader``, ``1111*``, ``o-*``) lets in
    principals of accounts anyone can create -- a role named Reader in any account matches --
    so it narrows nothing (a ground-truth trial: such a statement was not public)."""
    if c.key not in NARROWING_KEYS:
        return False
    if c.base not in _NARROWING_OPERATORS or c.if_exists:
        # negated operators (StringNotEquals, NumericNotEquals, DateNotEquals, ...) let in
        # everyone but the values, and the key's absence; ordering (NumericGreaterThan 0),
        # dates, Bool, Null and IP ranges do not name an account, organization or principal
        return False
    if c.qualifier == "forallvalues" and c.key not in ALWAYS_PRESENT:
        # IAM User Guide, set operators: ForAllValues "also returns true if there are no
        # context keys in the request" -- a principal outside any organization gets in
        return False
    # a value an ARN operator can match nothing with (fewer than six components: ``*``,
    # ``arn:aws:iam::*``) lets no one in -- the evaluator's reading (conditions.
    # matchable_values); a clause of only such values lets in no one at all (IAM conformance
    # trial round 12: ArnLike aws:PrincipalArn "*" read as "no narrowing", public)
    return all(_names_who(c.key, compared_value(c.base, v.strip()), variables)
               for v in matchable_values(c.base, c.values, variables=variables))


#: a narrowing key compared with the variable of a fixed fact of the resource: the data
#: perimeter ``aws:PrincipalOrgID = ${aws:ResourceOrgID}`` lets in the secret's own
#: organization, ``aws:PrincipalAccount = ${aws:ResourceAccount}`` its own account. IAM User
#: Guide, "Variables and tags": "the policy variables are replaced with values that come from
#: the conditional context keys passed in the request" -- the resource's, fixed whoever asks.
_RESOURCE_FACT = {"aws:principalorgid": "${aws:resourceorgid}",
                  "aws:principalaccount": "${aws:resourceaccount}",
                  "kms:calleraccount": "${aws:resourceaccount}"}


#: the policy variables of the resource's own facts, wherever they stand in a value: its
#: account inside an ARN (``arn:aws:iam::${aws:ResourceAccount}:role/*``), heading a user id
#: (``${aws:ResourceAccount}:*``), as aws:SourceAccount; its organization heading an
#: organization path (``${aws:ResourceOrgID}/*``), as aws:SourceOrgID -- each names that
#: one account or organization, as its literal id would (IAM conformance trial round 36:
#: only the whole-value forms of ``_RESOURCE_FACT`` were read so; a ``*`` grant confined to
#: the secret's own account's roles by its variable was "everyone", an over-broad grant of
#: secretsmanager:* to other accounts, where the same ARN with the literal id passed)
_RESOURCE_VARIABLE = re.compile(r"\$\{aws:resource(account|orgid)\}", re.IGNORECASE)
#: what ``resource_facts`` writes for them by default: an account id and an organization id
#: of the right shape (a value then reads as its literal form would)
RESOURCE_ACCOUNT_STAND_IN = "000000000000"
RESOURCE_ORG_STAND_IN = "o-0000000000"


def resource_facts(value: str, *, account: str = RESOURCE_ACCOUNT_STAND_IN,
                   org: str = RESOURCE_ORG_STAND_IN) -> str:
    """``value`` with ``${aws:ResourceAccount}`` and ``${aws:ResourceOrgID}`` replaced by
    ``account`` and ``org`` (stand-ins unless the caller knows them). IAM User Guide,
    "Variables and tags": "the policy variables are replaced with values that come from the
    conditional context keys passed in the request" -- the resource's, the same whoever
    asks. Any other variable is left as it is."""
    return _RESOURCE_VARIABLE.sub(
        lambda m: account if m.group(1).lower() == "account" else org, value)


def _names_who(key: str, value: str, variables: bool = True) -> bool:
    """The value names its account (or organization, endpoint, principal) literally: no
    wildcard where the account or organization is, and no policy variable (replaced with the
    request's own value, ``${aws:PrincipalAccount}`` matches every caller) but the resource's
    own organization or account (``_RESOURCE_FACT``). Without variables (Version 2008-10-17
    or none: IAM User Guide, "Version": variables "are instead treated as literal strings")
    ``${...}`` is text that names no one."""
    if value in ("*", ""):
        return False
    # a wildcard, or another policy variable (the caller's own value:
    # ${aws:PrincipalAccount} matches every caller), where the account or organization is
    # lets in whom no one named; the resource's own facts name one (``resource_facts``)
    loose = "*?$" if variables else "*?"
    if variables and "${" in value:
        if _RESOURCE_FACT.get(key) == value.lower():
            return True
        value = resource_facts(value)
    if key in ARN_KEYS:
        # the account component, wildcard-free: of the ARN (ArnLike arn:*:iam::<id>:role/*),
        # or held whole by the literal head (StringLike arn:aws:iam::<id>*: matching.
        # head_account, as the evaluator reads it; IAM conformance trial round 14: Allow *
        # under StringLike aws:PrincipalArn "arn:aws:iam::<own>*" was reported public)
        account = arn_account(value)
        head = head_account(value)
        return (account is not None and not any(ch in account for ch in loose)) or \
            (head is not None and not any(ch in head for ch in loose))
    if key in _ORG_PATH_KEYS:
        return not any(ch in value.split("/", 1)[0] for ch in loose)
    if key == USERID_KEY:
        # IAM User Guide, global condition keys, aws:userid: a role session's value is
        # "role-id:caller-specified-role-name", a federated user's "account:caller-specified-
        # name": a wildcard in the caller-specified part only (AROA<id>:*, 123456789012:*)
        # names one role, or one account's federated users (conformance trial round 7); one
        # where the id or account is (``*:alice``: a session named alice in any account)
        # lets in whom no one named
        return not any(ch in userid_head(value) for ch in loose)
    # account ids, organization ids, endpoints, VPCs: a wildcard anywhere lets in whom no
    # one named
    return not any(ch in value for ch in loose)


#: the condition key whose value begins with the caller's unique id or account
USERID_KEY = "aws:userid"


def userid_head(value: str) -> str:
    """The part of an aws:userid value before the caller-specified name: the role's or user's
    unique id, or the account (the whole value when it has no ``:``). Not an ARN."""
    return value.partition(":")[0]


def userid_account(value: str) -> str | None:
    """The account an aws:userid value names literally (a federated user's
    ``account:name``, or the root user's account id), else None."""
    head = userid_head(value)
    return head if len(head) == 12 and head.isdigit() else None


def is_narrowed(st: Statement, *, variables: bool = True) -> bool:
    """``variables``: the policy substitutes policy variables (Version 2012-10-17)."""
    return any(narrows(c, variables=variables) for c in st.conditions)


def condition_accounts(c: ConditionClause) -> list[tuple[str, str]]:
    """(value, account) pairs a positive condition clause names (account ids, or ARNs): the
    clauses that narrow (``_NARROWING_OPERATORS``, NumericEquals on an account key too) name
    whom they let in -- one concept for ``narrows`` and the grants it leaves (a review: a
    ``*`` grant under NumericEquals aws:PrincipalAccount was neither public nor external)."""
    if c.base not in _NARROWING_OPERATORS or c.if_exists or (
            c.qualifier == "forallvalues" and c.key not in ALWAYS_PRESENT):
        return []
    out = []
    for v in matchable_values(c.base, c.values, variables=True):
        # the value as the operator compares it: an IgnoreCase value case-folded
        # (matching.compared_value; concept review round 4: StringEqualsIgnoreCase
        # "ARN:AWS:IAM::999999999999:ROOT" named no account) -- the grantee is reported so,
        # as the ARN it lets in
        v = compared_value(c.base, v)
        if c.key in ACCOUNT_KEYS:
            acct = v if len(v) == 12 and v.isdigit() else None
        elif c.key in ARN_KEYS:
            # the account of the ARN, or the one a pattern's literal head holds whole
            # (StringLike arn:aws:iam::<id>*: matching.head_account; IAM conformance trial
            # round 14 -- ``_names_who`` reads it so, the grant goes to that account)
            acct = resource_account(v)
            if acct is None:
                head = head_account(v)
                acct = head if head is not None and is_account_id(head) else None
        elif c.key == USERID_KEY and _names_who(c.key, v.strip(), False):
            acct = userid_account(v.strip())
        else:
            continue
        if acct is not None:
            out.append((v, acct))
    return out


def mentioned_accounts(st: Statement) -> list[tuple[str, str]]:
    """(value, account) pairs of every account or ARN value a statement's conditions compare
    an account or ARN key with, under ANY operator -- a Deny's exception (``ArnNotLike
    aws:PrincipalArn arn:aws:iam::999999999999:*``) as much as an Allow's narrowing: an
    account read as the operator compares it (``matching.compared_value``), from an ARN or a
    pattern's literal head holding the whole account component (``matching.head_account``).
    The principals of such an account may be let in where the ``*`` stand-in, an account no
    policy names, is not (IAM conformance trial round 15: Allow * and a Deny unless
    aws:PrincipalArn is 999999999999's -- 999's principals read, no path recorded it).

    And the entries of a Deny's NotPrincipal: IAM User Guide, "AWS JSON policy elements:
    NotPrincipal": with Deny it "explicitly denies all principals except the ones specified",
    so the principals it lists (of their account: "you must also specify the account ARN of
    the not-denied principal") escape the Deny the ``*`` stand-in does not (IAM conformance
    trial round 25: Allow * beside Deny NotPrincipal [999999999999] -- the account's root user
    read, no path recorded it, both rules PASSed)."""
    out: list[tuple[str, str]] = []
    if st.effect == "Deny" and st.not_principal is not None:
        for e in st.not_principal.aws:
            acct = principal_account(e)
            if acct is not None:
                out.append((e, acct))
    for c in st.conditions:
        if c.key not in ACCOUNT_KEYS and c.key not in ARN_KEYS:
            continue
        for raw in c.values:
            v = compared_value(c.base, raw.strip())
            acct = resource_account(v)
            if acct is None and c.key in ARN_KEYS:
                head = head_account(v)
                acct = head if head is not None and is_account_id(head) else None
            if acct is not None:
                out.append((v, acct))
    return out


def confined_accounts(st: Statement, *,
                      variables: bool = True) -> tuple[tuple[str, str], ...] | None:
    """The (value, account) pairs a ``*`` statement's conditions confine it to, when a
    narrowing clause (``narrows``) names accounts only -- account ids, ARNs naming their
    account (``condition_accounts``), or the resource's own account by its variable
    (``aws:PrincipalAccount = ${aws:ResourceAccount}``: the account ``"${aws:ResourceAccount}"``,
    for the caller to read as its own). None when no clause does: the statement lets in
    everyone, or a population no account list names (an organization, an endpoint, a user id).

    IAM User Guide, "Condition element" (creating a condition with multiple context keys or
    values): "If you specify multiple condition operators in the Condition element, or multiple
    keys in a single condition operator, the conditions are evaluated using a logical AND" and
    "If you include multiple values for a single context key, they're evaluated using a logical
    OR" -- one clause naming accounts confines the statement to them (several: to the accounts
    every one of them names)."""
    confined: dict[str, str] | None = None
    for c in st.conditions:
        if not narrows(c, variables=variables):
            continue
        pairs = condition_accounts(c)
        if variables:
            pairs += [(v, RESOURCE_ACCOUNT)
                      for v in matchable_values(c.base, c.values, variables=True)
                      if _names_own_account(c.key, compared_value(c.base, v.strip()))]
        if len(pairs) != len(matchable_values(c.base, c.values, variables=variables)):
            continue  # a value that names no account (an organization, a principal pattern)
        accounts = {acct: v for v, acct in pairs}
        confined = accounts if confined is None else {
            a: v for a, v in confined.items() if a in accounts}
    return None if confined is None else tuple((v, a) for a, v in confined.items())


#: ``confined_accounts``' account for ``${aws:ResourceAccount}``: the secret's own
RESOURCE_ACCOUNT = "${aws:ResourceAccount}"


def _names_own_account(key: str, value: str) -> bool:
    """Whether a value names the resource's own account by its variable (and no other
    variable stands where the account is): the whole value of an account key, the account
    of an ARN, the account heading a user id (``resource_facts``)."""
    if "${" not in value:
        return False
    fact = resource_facts(value)
    if key in ACCOUNT_KEYS:
        return fact == RESOURCE_ACCOUNT_STAND_IN
    if key in ARN_KEYS:
        return RESOURCE_ACCOUNT_STAND_IN in (arn_account(fact), head_account(fact))
    if key == USERID_KEY:
        return userid_account(fact) == RESOURCE_ACCOUNT_STAND_IN
    return False


def is_organization(entry: str) -> bool:
    """An organization id (``o-...``) or path (``o-.../r-.../``): how
    ``condition_organizations`` names another organization among the principals."""
    return entry.startswith("o-")


def condition_organizations(c: ConditionClause, own_org: str | None, *,
                            none_ours: bool = False) -> tuple[str, ...]:
    """The organizations other than ``own_org`` a positive condition clause lets in by name
    (aws:PrincipalOrgID values, the organization of aws:PrincipalOrgPaths values): every
    account of such an organization is outside the trust zone. None without our own
    organization's id (the organization not read: a named one may be ours) -- unless
    ``none_ours``: the scan's home account is known to be in no organization and is the only
    account scanned (TrustZone.no_organization), so every organization named is another one
    (new-user trial round 7: a ``*`` grant narrowed to o-... in a single account of no
    organization was never reported)."""
    if (own_org is None and not none_ours) or c.base not in _POSITIVE or \
            c.qualifier == "forallvalues" or c.if_exists or \
            c.key not in ("aws:principalorgid", "aws:principalorgpaths"):
        return ()
    out = []
    for v in c.values:
        org = v.split("/", 1)[0] if c.key == "aws:principalorgpaths" else v
        if org and not any(ch in org for ch in "*?$") and (
                own_org is None or org.lower() != own_org.lower()):
            out.append(v)
    return tuple(out)
