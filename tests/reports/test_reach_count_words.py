"""A class of readers (a grant to a whole account, the organization, everyone) is counted in
one wording wherever it is shown: `secretgraph access`, report.html's reach table and the drift
(terminal and HTML). The same class read '0 principal(s) read, 0 conditionally, in 0
account(s); IAM not read in 1 account(s)' in `access`, '0 read, ...; IAM not read in 1' in
report.html and '0 principal(s) of the snapshot read, ..., 1 account(s) not assessed' in
`diff` (new-user trial round 28)."""

from __future__ import annotations

from types import SimpleNamespace

from scanner.access.report import _reach_dict
from scanner.access.verdicts import Reach
from scanner.commands._access_render import _reach_line
from scanner.history.drift import ReaderChange, reader_change_words
from reports.html.viewmodel import build_reach

OUTSIDER = "999999999999"
WORDS = ("0 principal(s) of the snapshot read, 0 conditionally, in 0 account(s); "
         "IAM not read in 1 account(s)")


def _partner_account() -> Reach:
    return Reach(subject=f"account:{OUTSIDER}", scope="account", decision="CONDITIONAL",
                 principals=0, conditional_principals=0, accounts=0,
                 unassessed_accounts=(OUTSIDER,))


def test_access_counts_a_class_of_readers_in_the_common_words() -> None:
    assert WORDS in _reach_line(_partner_account())


def test_the_html_reach_table_counts_it_in_the_same_words() -> None:
    secret = SimpleNamespace(secret_arn="arn:aws:secretsmanager:us-east-1:111111111111:secret:db",
                             name="db", reader_classes=(_partner_account(),))
    (row,) = build_reach(SimpleNamespace(secrets={secret.secret_arn: secret}))
    assert row["counts"] == WORDS


def test_the_drift_counts_a_new_class_of_readers_in_the_same_words() -> None:
    reach = _partner_account()
    change = ReaderChange(principal=reach.subject, decision="conditional",
                          detail=_reach_dict(reach))
    assert reader_change_words(change, gained=True) == f"can now read [conditional]: {WORDS}"


def test_a_class_whose_every_account_was_read_says_nothing_of_unread_iam() -> None:
    reach = Reach(subject="account:222222222222", scope="account", decision="ALLOWED",
                  principals=2, conditional_principals=1, accounts=1)
    words = "2 principal(s) of the snapshot read, 1 conditionally, in 1 account(s)"
    assert _reach_line(reach).endswith(words)
    assert "IAM not read" not in _reach_line(reach)
