"""KMS grants as new-user trial round 24 met them; the same defects conformance trial round 24
found and fixed at the same time (scanner/policy/smt, scanner/access/gates.py) -- kept as a
second, independent statement of the behaviour.

* `access --prove` of a public secret whose key trusts its account only said "outside the zone,
  read: PROVEN_NONE" the night kms:ListGrants was denied, while the access analysis said
  everyone CONDITIONAL on the grants not read;
* `access --why`: identity_policy ALLOWED said only "no identity policy of the caller allows
  it" for a reader another account's grant lets decrypt;
* `remediate --prove` asked about a key with its key policy alone: a Decrypt grant to an outside
  account was "closes: true"."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from helpers.access_estate import (APP_ROLE, SECRET_ARN, estate, secret_policy_for, text,
                                   with_keys)
from test_access_kms_grants import (DECRYPT, GSV, ROOT_ONLY, grant, path_of, read_only,
                                    with_grants)

from scanner.access import AccessSettings
from scanner.graph.builder import build_graph
from scanner.model import Snapshot
from scanner.policy.smt.questions import Prover
from scanner.policy.smt.solve import PROVEN_NONE


def _unread_grants(snap: Snapshot) -> Snapshot:
    return with_keys(snap, grants=None, unread=("grants",))


PUBLIC_READ = text({"Effect": "Allow", "Principal": "*", "Action": GSV, "Resource": "*"})


def _outside(snap: Snapshot) -> Any:
    settings = AccessSettings.from_snapshot(snap)
    return Prover(build_graph(snap), snap, settings, timeout_s=20).secret(SECRET_ARN)


def test_outside_the_zone_is_not_proven_none_on_a_key_whose_grants_were_not_read() -> None:
    snap = estate(secret_policy=PUBLIC_READ, key_policy=ROOT_ONLY)
    read = with_grants(snap, ())
    assert (_outside(read).read.status, _outside(read).decrypt.status) == (PROVEN_NONE,
                                                                            PROVEN_NONE)
    proof = _outside(_unread_grants(snap))
    assert proof.read.status == "UNKNOWN" and "KMS grants not read" in proof.read.reason, \
        proof.read
    assert proof.decrypt.status == "UNKNOWN" and "KMS grants not read" in proof.decrypt.reason


def test_a_secret_policy_that_admits_no_outsider_is_proven_none_whatever_the_grants() -> None:
    proof = _outside(_unread_grants(estate(secret_policy=secret_policy_for(APP_ROLE),
                                           key_policy=ROOT_ONLY)))
    assert proof.read.status == PROVEN_NONE, proof.read


def test_the_identity_gate_says_the_grant_stands_in_for_the_kms_decrypt_allow() -> None:
    reasons = path_of(APP_ROLE, (grant(APP_ROLE, gid="g-reports"),)).gates["identity_policy"] \
        .reasons
    # the missing identity Allow is said, and beside it what stands in for it
    said = [r for r in reasons if r.startswith("kms:Decrypt: KMS grant g-reports")]
    assert said and "names the caller" in said[0], reasons


def test_an_identity_allow_of_kms_decrypt_needs_no_grant_sentence() -> None:
    reasons = path_of(APP_ROLE, (grant(APP_ROLE),), identity=read_only(DECRYPT)) \
        .gates["identity_policy"].reasons
    assert not any("KMS grant" in r for r in reasons), reasons
    denied = path_of(APP_ROLE, ()).gates["identity_policy"].reasons
    assert any("no identity policy of the caller allows it" in r for r in denied), denied


def test_an_unread_identity_is_named_once_at_its_gate() -> None:
    """`access --why` in a one-account scan showed "? unresolved: identity policies not
    collected" twice: once for the GetSecretValue, once for the Decrypt."""
    from scanner.access import analyze_access
    from helpers.access_estate import CENTRAL_ROLE, role

    snap = estate(secret_policy=secret_policy_for(CENTRAL_ROLE), key_policy=ROOT_ONLY,
                  principals=(role(CENTRAL_ROLE, read_only(DECRYPT)),), iam_accounts=())
    settings = replace(AccessSettings.from_snapshot(snap), record_denied=True)
    sa = analyze_access(build_graph(snap), snap, settings).for_secret(SECRET_ARN)
    assert sa is not None
    conditions = [c for p in sa.paths for c in p.gates["identity_policy"].conditions]
    assert conditions, [p.principal for p in sa.paths]
    for p in sa.paths:
        gate = p.gates["identity_policy"].conditions
        assert len(gate) == len(set(gate)), gate
