"""KMS key rules and a key the graph knows only from a secret's KmsKeyId (ground-truth trial
round 5: a secret naming ``key/00000000-...`` in an account-Region whose key listing was read
got secret-key-unusable FAIL "does not exist" -- right -- and an UNKNOWN from each of
kms-key-policy-public, kms-key-policy-excess-grant, kms-key-rotation-disabled and
kms-replica-key-policy-drift for the key that is not there).

A key known not to exist is not judged by the key rules (the secret's finding reports it); a
key merely not read (its Region not scanned) stays UNKNOWN, except that a key whose id does not
begin with ``mrk-`` is never a multi-Region replica."""

from __future__ import annotations

from dataclasses import replace

from helpers.engine_helpers import A, NOW, R, make_secret, make_snapshot, secret_arn

from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.findings import Status
from scanner.graph.builder import build_graph

KEY_RULES = ("kms-key-policy-public", "kms-key-policy-excess-grant",
             "kms-key-rotation-disabled", "kms-replica-key-policy-drift")


def _findings(kms_key_id: str) -> dict[tuple[str, str], Status]:
    snap = make_snapshot(make_secret("db", kms_key_id=kms_key_id))
    found = evaluate(build_graph(snap), snap, None, load_ruleset(),
                     parse_config({"emit_pass": True}, path="-"), NOW)
    return {(f.rule_id, f.resource.arn): f.status for f in found}


def test_a_key_the_listing_shows_gone_has_only_the_secrets_finding() -> None:
    gone = f"arn:aws:kms:{R}:{A}:key/00000000-1111-2222-3333-444444444444"
    found = _findings(gone)
    assert found[("secret-key-unusable", secret_arn("db"))] is Status.FAIL
    assert {rule for rule, arn in found if arn == gone} == set()


def test_a_key_in_a_region_not_scanned_is_still_unknown() -> None:
    far = f"arn:aws:kms:eu-west-1:{A}:key/mrk-0123456789abcdef0123456789abcdef"
    found = _findings(far)
    for rule in KEY_RULES:
        if rule != "kms-key-policy-excess-grant":  # judged only with the secret's policy
            assert found[(rule, far)] is Status.UNKNOWN, rule


def test_a_key_not_read_whose_id_is_not_mrk_is_never_a_replica() -> None:
    far = f"arn:aws:kms:eu-west-1:{A}:key/00000000-1111-2222-3333-444444444444"
    found = _findings(far)
    assert ("kms-replica-key-policy-drift", far) not in found
    assert found[("kms-key-policy-public", far)] is Status.UNKNOWN


def test_a_key_named_by_an_alias_may_be_a_replica() -> None:
    alias = f"arn:aws:kms:eu-west-1:{A}:alias/app"
    assert _findings(alias)[("kms-replica-key-policy-drift", alias)] is Status.UNKNOWN
