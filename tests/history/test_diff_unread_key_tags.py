"""Access drift of a secret whose customer key's tags (ListResourceTags) could not be read in
one of the two scans. The key's tags are the aws:ResourceTag of the kms:Decrypt Secrets Manager
makes (docs/access.md): a key policy letting "*" decrypt only when the key is tagged
team=shared denies everyone on a key tagged team=ops, and with the tags unread that condition
is undecided. The night the audit role lost kms:ListResourceTags, drift said "everyone (any
AWS principal of any account) [*] can now read [conditional] (was deny)" -- the same report
the unread grants once made (user trial round 24; tests/history/test_diff_unread_grants.py),
beside a coverage gap that was its only cause. It is now "not assessed", naming the call."""

from __future__ import annotations

from dataclasses import replace

from scanner.history.diff import diff_scans
from scanner.history.drift import render_drift_text

from helpers.scanfactory import CENTRAL, policy
from history.test_diff_unread_grants import KEY, PUB, ROOT_KEY, T1, T2, T3, _stored

TAGGED = replace(ROOT_KEY, tags={"team": "ops"}, policy=policy(
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"}, "Action": "kms:*",
     "Resource": "*"},
    {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
     "Condition": {"StringEquals": {"aws:ResourceTag/team": "shared"}}}))
UNREAD = replace(TAGGED, tags=None, unread=("tags",))


def test_tags_not_read_tonight_gain_no_reader() -> None:
    drift = diff_scans(_stored("a", T1, TAGGED), _stored("b", T2, UNREAD))

    assert [a.secret_arn for a in drift.access] == []
    [na] = [n for n in drift.not_assessed if n.scope == "access"]
    assert (na.subject, na.scan) == (PUB, "new")
    assert "tags" in na.reason and KEY in na.reason and "ListResourceTags" in na.reason
    assert "can now read" not in render_drift_text(drift)


def test_tags_read_again_lose_no_reader() -> None:
    drift = diff_scans(_stored("a", T1, UNREAD), _stored("b", T2, TAGGED))

    assert [a.secret_arn for a in drift.access] == []
    assert [(n.subject, n.scan) for n in drift.not_assessed if n.scope == "access"] == \
        [(PUB, "old")]


def test_a_tag_changed_between_two_nights_that_read_them_is_a_new_reader() -> None:
    shared = replace(TAGGED, tags={"team": "shared"})
    drift = diff_scans(_stored("b", T2, TAGGED), _stored("c", T3, shared))

    [change] = drift.access
    assert change.secret_arn == PUB and [r.principal for r in change.gained] == ["*"]
    assert [n for n in drift.not_assessed if n.scope == "access"] == []


def test_grants_and_tags_unread_together_are_named_together() -> None:
    both = replace(TAGGED, tags=None, grants=None, unread=("grants", "tags"))
    drift = diff_scans(_stored("a", T1, TAGGED), _stored("b", T2, both))

    [na] = [n for n in drift.not_assessed if n.scope == "access"]
    assert "grants and tags" in na.reason and "ListGrants, ListResourceTags" in na.reason
