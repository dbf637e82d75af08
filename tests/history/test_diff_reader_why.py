"""A reader gained or lost says, beside it, what changed since of what its read stands on: the
principal's tags (aws:PrincipalTag), its account's OU (aws:PrincipalOrgPaths), the secret's
resource policy, its key's policy (ground-truth trial round 29: a tag swap and an OU move read
"can no longer read" in Access changes, the tags and the OU a section later, nothing linking
them). Facts, said as "changed since"; a reader whose principal, account, secret and key did
not change says nothing more; the JSON keeps them (``why``) and reads them back."""

from __future__ import annotations

from scanner.history.diff import reader_whys
from scanner.history.drift import (AccessChange, Drift, FieldChange, PolicyChange,
                                   ReaderChange, ResourceChange, ScanRef, StatementChange,
                                   drift_from_json, reader_change_words)

SECRET = "arn:aws:secretsmanager:us-west-2:111111111111:secret:abac/team-AbCdEf"
KEY = "arn:aws:kms:us-west-2:111111111111:key/k1"
APP = "arn:aws:iam::222222222222:role/AppRole"
DEV = "arn:aws:iam::333333333333:role/DevRole"
OPS = "arn:aws:iam::444444444444:role/OpsRole"


def _rc(kind: str, rid: str, *fields: FieldChange, policy: str | None = None
        ) -> ResourceChange:
    policies = (PolicyChange(field=policy, statements=(StatementChange(
        change="added", sid="S", old=None, new={"Effect": "Allow"}),)),) if policy else ()
    return ResourceChange(kind=kind, id=rid, account_id=rid.split(":")[4] if ":" in rid
                          else rid, region="global", change="changed", fields=fields,
                          policies=policies)


CHANGED = (
    _rc("iam_principal", APP, FieldChange(field="tags", old={"team": "payments"},
                                          new={"team": "search"})),
    _rc("org_account", "333333333333", FieldChange(field="ou", old="Root/Apps/Prod",
                                                   new="Root/Apps/Dev")),
    _rc("kms_key", KEY, policy="policy"),
    _rc("secret", SECRET, policy="resource_policy"),
)


def _access() -> list[AccessChange]:
    return [AccessChange(secret_arn=SECRET,
                         gained=(ReaderChange(principal=OPS, decision="allow"),),
                         lost=(ReaderChange(principal=APP, decision="allow"),
                               ReaderChange(principal=DEV, decision="allow"),
                               ReaderChange(principal="account:333333333333",
                                            decision="allow")))]


def test_each_reader_says_what_changed_of_its_principal_account_secret_and_key() -> None:
    (change,) = reader_whys(_access(), CHANGED, {SECRET: frozenset({KEY})})
    secret = "the secret's resource policy; the secret's key policy"
    assert [(r.principal, r.why) for r in change.lost + change.gained] == [
        (APP, (f"changed since: {secret}; its tags: team payments -> search",)),
        (DEV, (f"changed since: {secret}; its account's OU: Root/Apps/Prod -> Root/Apps/Dev",)),
        ("account:333333333333", (f"changed since: {secret}",)),
        (OPS, (f"changed since: {secret}",))]
    assert reader_change_words(change.lost[0], False) == (
        f"can no longer read (changed since: {secret}; its tags: team payments -> search)")


def test_a_reader_nothing_of_which_changed_says_nothing_more() -> None:
    (change,) = reader_whys(_access(), CHANGED[:2], {})
    assert [r.why for r in change.gained] == [()]
    assert reader_change_words(change.gained[0], True) == "can now read [allow]"
    # a tag added and one removed
    (rc,) = [_rc("iam_principal", OPS, FieldChange(field="tags", old={"a": "1"},
                                                   new={"b": "2"}))]
    (change,) = reader_whys(_access(), [rc], {})
    assert change.gained[0].why == ("changed since: its tags: a 1 -> (absent), b (absent) -> 2",)


def test_the_why_is_kept_in_the_json_and_read_back() -> None:
    (change,) = reader_whys(_access(), CHANGED, {SECRET: frozenset({KEY})})
    ref = ScanRef(scan_id="a", started_at="2026-12-08T00:00:00Z", complete=True)
    drift = Drift(old=ref, new=ref, access=(change,))
    data = drift.to_json()
    assert data["access"][0]["lost_readers"][0]["why"] == list(change.lost[0].why)
    assert "why" not in _access()[0].gained[0].to_json()
    assert drift_from_json(data).access == (change,)


def test_the_morning_notification_says_the_why_too() -> None:
    """The scheduled deployment's notification lists the readers as the drift does, each with
    what changed since of what its read stands on."""
    from scanner.deploy.handler import notification

    (change,) = reader_whys(_access(), CHANGED[:1], {})
    ref = ScanRef(scan_id="a", started_at="2026-12-08T00:00:00Z", complete=True)
    _, message = notification(scan_id="b", complete=True, new_findings=[],
                              drift=Drift(old=ref, new=ref, access=(change,)),
                              history_uri="s3://bucket/nightly")
    assert f"    - {APP} can no longer read (changed since: its tags: team payments -> " \
        "search)" in message.splitlines()
    assert f"    + {OPS} can now read" in message.splitlines()


def test_a_principal_created_or_deleted_or_an_account_that_left_says_so() -> None:
    gone = ResourceChange(kind="iam_principal", id=APP, account_id="222222222222",
                          region="global", change="removed")
    made = ResourceChange(kind="iam_principal", id=OPS, account_id="444444444444",
                          region="global", change="added")
    left = ResourceChange(kind="org_account", id="333333333333", account_id="333333333333",
                          region="global", change="removed")
    (change,) = reader_whys(_access(), [], {}, added=[made], removed=[gone, left])
    assert [(r.principal, r.why) for r in change.lost + change.gained] == [
        (APP, ("changed since: it was deleted",)),
        (DEV, ("changed since: its account left the organization",)),
        ("account:333333333333", ()),
        (OPS, ("changed since: it was created",))]


def test_a_key_state_change_is_said_once_with_its_states() -> None:
    """Ground-truth trial round 30: a key enabled again read "changed since: the secret's key
    key state", without the states."""
    rc = _rc("kms_key", KEY, FieldChange(field="key_state", old="Disabled", new="Enabled"),
             FieldChange(field="grants", old=[], new=[]))
    (change,) = reader_whys(_access(), [rc], {SECRET: frozenset({KEY})})
    assert change.gained[0].why == (
        "changed since: the secret's key state: Disabled -> Enabled; the secret's key grants",)


def test_a_replicas_reader_moved_by_its_primarys_policy_says_so() -> None:
    """New-user trial round 37: a put-resource-policy on a replicated secret showed the
    primary's lost reader "(changed since: the secret's resource policy)" and the replica's
    (us-east-1's policy is the replica's too) with nothing; the replica's own key and a
    secret of another name in the other Region are not its primary's."""
    primary = SECRET.replace("us-west-2", "us-east-1")
    other = primary.replace("abac/team-AbCdEf", "abac/other-XyZabc")
    lost = (ReaderChange(principal=APP, decision="allow"),)
    access = [AccessChange(secret_arn=SECRET, gained=(), lost=lost),
              AccessChange(secret_arn=primary, gained=(), lost=lost)]
    replica, on_primary = reader_whys(access, [_rc("secret", primary, policy="resource_policy"),
                                               _rc("secret", other, policy="resource_policy"),
                                               _rc("kms_key", KEY.replace("us-west-2",
                                                                          "us-east-1"),
                                                   policy="policy")], {})
    assert replica.lost[0].why == (
        "changed since: the primary's resource policy (in us-east-1)",)
    assert on_primary.lost[0].why == ("changed since: the secret's resource policy",)
