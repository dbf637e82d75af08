"""A finding muted by a suppression (MUTED) is not planned unless it is asked for by its id
(``--finding ID``): the suppression is the owner's decision to leave it, a named finding the
decision to fix it. A finding named by id that cannot be planned -- UNKNOWN, muted while
UNKNOWN, PASS -- is listed as not planned with the reason; ``remediate --finding ID`` of a
muted finding said "no FAIL finding of the scan matches the selection" (safe-fixes trial
round 14), and so did one that ``--rule`` or ``--account`` leaves out."""

from __future__ import annotations

import dataclasses

from helpers.remediate_records import PUBLIC, finding, snapshot
from scanner.changes import RemediationConfig
from scanner.findings import Finding, Status
from scanner.remediate.planner import Selection, build_plan

SNAP = snapshot(policy={"Version": "2012-10-17", "Statement": [PUBLIC]})
ENTRY = {"reason": "a public test secret, by design", "expires": "2027-03-31", "entry": 0,
         "file": "suppressions.yaml", "rule": "secret-policy-public", "owner": "team@example"}


def _muted(original: str = "FAIL") -> Finding:
    return dataclasses.replace(finding("secret-policy-public", "restrict-public-secret-policy"),
                               status=Status.MUTED,
                               muted_by={**ENTRY, "original_status": original})


def test_a_muted_finding_is_not_planned_by_a_whole_plan_or_by_its_rule() -> None:
    for selection in (Selection(), Selection(rules=("secret-policy-public",))):
        plan = build_plan([_muted()], SNAP, RemediationConfig(), selection)

        assert plan.changes == () and plan.skipped == ()


def test_a_muted_finding_named_by_its_id_is_planned_with_a_note_of_its_suppression() -> None:
    muted = _muted()

    plan = build_plan([muted], SNAP, RemediationConfig(), Selection(findings=(muted.id,)))

    (change,) = plan.changes
    assert change.remediation_id == "restrict-public-secret-policy"
    assert change.finding_ids == (muted.id,)
    assert any(f"{muted.id} is muted by suppression 1 (suppressions.yaml) "
               "('a public test secret, by design', until 2027-03-31)" in n
               for n in change.notes)


def test_a_named_finding_that_is_not_a_failure_is_listed_as_not_planned_with_why() -> None:
    unknown = dataclasses.replace(finding("secret-policy-public",
                                          "restrict-public-secret-policy"),
                                  status=Status.UNKNOWN, missing=("secretsmanager:GetResourcePolicy",))
    muted_unknown = _muted("UNKNOWN")

    for named, why in ((unknown, "the finding is UNKNOWN (the scan could not read "
                                 "secretsmanager:GetResourcePolicy): nothing is planned from "
                                 "what the scan could not read; rescan once it can be read"),
                       (muted_unknown, "the finding is MUTED, and UNKNOWN under its "
                                       "suppression: nothing is planned from what the scan "
                                       "could not read")):
        plan = build_plan([named], SNAP, RemediationConfig(), Selection(findings=(named.id,)))

        assert plan.changes == ()
        (skipped,) = plan.skipped
        assert skipped.finding_id == named.id
        assert why in skipped.reason


def test_a_named_finding_that_rule_leaves_out_is_listed_as_not_planned_with_why() -> None:
    public = finding("secret-policy-public", "restrict-public-secret-policy")

    plan = build_plan([public], SNAP, RemediationConfig(),
                      Selection(rules=("kms-key-rotation-disabled",), findings=(public.id,)))

    assert plan.changes == ()
    (skipped,) = plan.skipped
    assert skipped.reason == ("--rule kms-key-rotation-disabled leaves it out: it is a finding "
                              "of secret-policy-public (remediation "
                              "restrict-public-secret-policy); name its rule too, or give "
                              "--finding alone")


def test_a_named_finding_of_an_account_account_leaves_out_is_listed_as_not_planned() -> None:
    public = finding("secret-policy-public", "restrict-public-secret-policy")

    plan = build_plan([public], SNAP, RemediationConfig(),
                      Selection(accounts=("222222222222",), findings=(public.id,)))

    assert plan.changes == ()
    (skipped,) = plan.skipped
    assert skipped.reason == ("--account 222222222222 leaves it out: it is a finding of "
                              "account 111111111111, and no change planned for it lands in "
                              "the accounts selected; add its account, or give --finding "
                              "alone")
