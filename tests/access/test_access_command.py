"""`secretgraph access`: table and JSON output, filters, and bad input (exit 2, one line)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers.access_estate import (
    APP_ROLE,
    APP_ROLE2,
    CENTRAL,
    KEY_ARN,
    MEMBER,
    REGION,
    SECRET_ARN,
    allow_read_identity,
    estate,
    key_policy_for,
    role,
    secret_policy_for,
)
from helpers.access_estate import REPLICA_ARN, replica_estate

from scanner.cli import main
from scanner.snapshot_io import write_snapshot


@pytest.fixture()
def snapshot_file(tmp_path: Path) -> Path:
    snap = estate(secret_policy=secret_policy_for(APP_ROLE, APP_ROLE2),
                  key_policy=key_policy_for(f"arn:aws:iam::{MEMBER}:root"),
                  principals=(role(APP_ROLE, allow_read_identity()),
                              role(APP_ROLE2, allow_read_identity())))
    return write_snapshot(tmp_path / "snapshot.json.gz", snap)


def test_table_shows_each_gate_and_the_broken_reader(snapshot_file: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["access", "--snapshot", str(snapshot_file)]) == 0
    out = capsys.readouterr().out
    assert SECRET_ARN in out
    app2 = next(line for line in out.splitlines() if APP_ROLE2 in line)
    assert "DENIED" in app2 and "BROKEN at key_policy" in app2
    app = next(line for line in out.splitlines() if APP_ROLE in line and APP_ROLE2 not in line)
    assert app.split()[1] == "ALLOWED"


def test_json_for_one_principal_by_secret_name(snapshot_file: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["access", "--in", str(snapshot_file.parent), "--secret", "app/db",
                 "--principal", APP_ROLE, "--format", "json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    [secret] = data["secrets"]
    assert [p["principal"] for p in secret["paths"]] == [APP_ROLE]
    assert secret["paths"][0]["gates"]["key_policy"]["status"] == "ALLOWED"


def test_an_unknown_principal_exits_2_with_the_closest_matches(
        snapshot_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["access", "--snapshot", str(snapshot_file), "--principal",
                 "arn:aws:iam::222222222222:role/Nobody"]) == 2
    err = capsys.readouterr().err
    assert "no principal by that ARN, name or account" in err and len(err.splitlines()) == 1
    wanted = APP_ROLE.rsplit("/", 1)[-1]
    assert main(["access", "--snapshot", str(snapshot_file), "--principal",
                 wanted[:-1]]) == 2
    assert f"closest: {wanted}" in capsys.readouterr().err


def test_a_principal_by_name_or_account_and_a_secret_by_prefix(
        snapshot_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = APP_ROLE.rsplit("/", 1)[-1]
    assert main(["access", "--snapshot", str(snapshot_file), "--principal", name,
                 "--format", "json"]) == 0
    [secret] = json.loads(capsys.readouterr().out)["secrets"]
    # a name means that role in every account that has one
    assert {p["principal"] for p in secret["paths"]} == \
        {a for a in (APP_ROLE, APP_ROLE2) if a.endswith("/" + name)}
    account = APP_ROLE2.split(":")[4]
    assert account != APP_ROLE.split(":")[4]
    assert main(["access", "--snapshot", str(snapshot_file), "--principal", account,
                 "--format", "json"]) == 0
    [secret] = json.loads(capsys.readouterr().out)["secrets"]
    assert {p["principal"] for p in secret["paths"]} == {APP_ROLE2}
    assert main(["access", "--snapshot", str(snapshot_file), "--secret", "app/d",
                 "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["secrets"][0]["secret_arn"] == SECRET_ARN
    assert main(["access", "--snapshot", str(snapshot_file), "--secret", SECRET_ARN[:-4],
                 "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["secrets"][0]["secret_arn"] == SECRET_ARN


def test_why_prints_the_deciding_statements(snapshot_file: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["access", "--snapshot", str(snapshot_file), "--principal", APP_ROLE2,
                 "--why"]) == 0
    out = capsys.readouterr().out
    assert f"why {APP_ROLE2}:" in out and "key_policy: DENIED" in out


@pytest.mark.parametrize("argv, message", [
    (["access"], "give --in DIR"),
    (["access", "--snapshot", "/nonexistent/snap.json.gz"], "/nonexistent/snap.json.gz"),
    (["access", "--in", "/nonexistent"], "--in /nonexistent: no such folder"),
    (["access", "--snapshot", "{snap}", "--secret", "nope"], "no such secret"),
    (["access", "--snapshot", "{snap}", "--secret", "app/dbb"], "closest: app/db"),
    (["access", "--snapshot", "{snap}", "--scan", "x"], "--scan ID needs --history"),
    (["access", "--snapshot", "{snap}", "--allowed-external-accounts", "12"],
     "not a 12-digit account id"),
    (["access", "--snapshot", "{snap}", "--trusted-accounts", "12"],
     "--trusted-accounts: not a 12-digit account id"),
    # an unset shell variable: not every secret listed with exit 0, nor a proof of nothing
    (["access", "--snapshot", "{snap}", "--secret", ""], "--secret: empty value ''"),
    (["access", "--snapshot", "{snap}", "--prove", " "], "--prove: empty value ' '"),
    (["access", "--snapshot", "{snap}", "--principal", ""], "--principal: empty value"),
    (["access", "--snapshot", "{snap}", "--region", ""], "--region: empty value"),
])
def test_bad_input_is_one_line_and_exit_2(argv: list[str], message: str, snapshot_file: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    argv = [a.replace("{snap}", str(snapshot_file)) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_malformed_snapshot_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "snapshot.json"
    bad.write_text('{"meta": ')
    assert main(["access", "--snapshot", str(bad)]) == 2
    assert "snapshot.json" in capsys.readouterr().err


def test_reader_classes_of_a_public_secret_are_shown(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from helpers.access_estate import CENTRAL, doc, text

    public = text({"Effect": "Allow", "Principal": "*",
                   "Action": "secretsmanager:GetSecretValue", "Resource": "*"})
    worker = f"arn:aws:iam::{CENTRAL}:role/Worker"
    snap = estate(secret_policy=public, kms_key_id=None,
                  principals=(role(worker, doc({"Effect": "Allow", "Action": "s3:*",
                                                "Resource": "*"})),))
    path = write_snapshot(tmp_path / "snapshot.json.gz", snap)
    assert main(["access", "--snapshot", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"reach: every IAM role and user of the secret's own account {CENTRAL} -> ALLOWED: " \
           "1 principal(s) of the snapshot read" in out
    assert "reach: everyone (any AWS principal of any account) -> DENIED" in out
    assert next(line for line in out.splitlines() if worker in line).split()[1] == "ALLOWED"
    assert main(["access", "--snapshot", str(path), "--format", "json"]) == 0
    [secret] = json.loads(capsys.readouterr().out)["secrets"]
    assert {(r["subject"], r["decision"]) for r in secret["reach"]} >= {
        (f"account:{CENTRAL}", "ALLOWED"), ("*", "DENIED")}




def test_replicas_can_be_queried_and_keys_show_their_alias(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_snapshot(tmp_path / "snapshot.json.gz", replica_estate())
    assert main(["access", "--in", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"key: alias/app-secrets ({KEY_ARN})" in out
    assert "1 replica(s) not listed" in out and REPLICA_ARN not in out
    for argv in (["--secret", REPLICA_ARN], ["--secret", "app/db", "--region", "eu-west-1"]):
        assert main(["access", "--snapshot", str(path), "--format", "json", *argv]) == 0
        [secret] = json.loads(capsys.readouterr().out)["secrets"]
        assert (secret["secret_arn"], secret["region"]) == (REPLICA_ARN, "eu-west-1")
    # the name alone is the primary's
    assert main(["access", "--snapshot", str(path), "--format", "json", "--secret",
                 "app/db"]) == 0
    [secret] = json.loads(capsys.readouterr().out)["secrets"]
    assert secret["secret_arn"] == SECRET_ARN and secret["key_alias"] == "alias/app-secrets"
    # what one principal reads lists every copy: the replica has its own key (here
    # aws/secretsmanager, which no other account can use) and so its own verdict
    assert main(["access", "--snapshot", str(path), "--format", "json", "--principal",
                 APP_ROLE]) == 0
    secrets = json.loads(capsys.readouterr().out)["secrets"]
    copies = {s["secret_arn"]: s["paths"][0]["decision"] for s in secrets}
    assert copies == {SECRET_ARN: "ALLOWED", REPLICA_ARN: "DENIED"}
    # each path names the copy it reads, the replica's own ARN for the replica (the path
    # record does not hold it: the JSON gives it from the secret the path is listed under)
    assert {p["secret_arn"] for s in secrets for p in s["paths"]} == {SECRET_ARN, REPLICA_ARN}
    assert all(p["secret_arn"] == s["secret_arn"] for s in secrets for p in s["paths"])


def test_access_reads_a_scan_from_the_history(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from scanner.engine.output import findings_document
    from scanner.history import open_store

    snap = replica_estate()
    history = str(tmp_path / "h.db")
    open_store(history).record(snap.meta, snap, findings_document(snap, []), None)
    assert main(["access", "--history", history, "--secret", "app/db", "--format",
                 "json"]) == 0
    assert json.loads(capsys.readouterr().out)["secrets"][0]["secret_arn"] == SECRET_ARN


def test_a_prefix_of_many_secrets_says_how_many_and_shows_the_first_sorted() -> None:
    from types import SimpleNamespace

    from scanner.commands._access_find import find_secret
    from scanner.errors import UsageError

    names = [f"app/db-{i:02d}" for i in range(9, -1, -1)]
    secrets = {f"arn:aws:secretsmanager:us-east-1:111111111111:secret:{n}-AbCdEf":
               SimpleNamespace(secret_arn=f"arn:aws:secretsmanager:us-east-1:111111111111:"
                                          f"secret:{n}-AbCdEf", name=n, region="us-east-1")
               for n in names}
    report = SimpleNamespace(secrets=secrets, replicas={})
    with pytest.raises(UsageError) as caught:
        find_secret(report, "app/db")
    assert str(caught.value) == (
        "--secret 'app/db' is the prefix of 10 secrets (app/db-00, app/db-01, app/db-02, "
        "app/db-03, app/db-04, app/db-05, and 4 more); give more of the name or the ARN")


def test_a_name_in_many_accounts_shows_six_arns_and_the_count() -> None:
    from types import SimpleNamespace

    from scanner.commands._access_find import find_secret
    from scanner.errors import UsageError

    arns = [f"arn:aws:secretsmanager:us-east-1:{100000000000 + i}:secret:app/db-AbCdEf"
            for i in range(1000)]
    report = SimpleNamespace(secrets={a: SimpleNamespace(secret_arn=a, name="app/db",
                                                         region="us-east-1") for a in arns},
                             replicas={})
    with pytest.raises(UsageError) as caught:
        find_secret(report, "app/db")
    # all in one Region and with one suffix: only the ARN tells them apart
    assert str(caught.value) == (
        "--secret 'app/db' matches 1000 secrets in 1000 accounts; give the ARN: "
        + ", ".join(arns[:6]) + ", and 994 more")


def test_the_name_the_reports_show_finds_the_secret_and_its_replica(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Reports name a secret by its ARN's resource (``app/db-AbCdEf``) and a replica by that
    and its Region (``app/db-AbCdEf#eu-west-1``): both are accepted as --secret."""
    path = write_snapshot(tmp_path / "snapshot.json.gz", replica_estate())
    shown = SECRET_ARN.rsplit(":", 1)[1]
    for query, arn in ((shown, SECRET_ARN), (f"{shown}#eu-west-1", REPLICA_ARN),
                       (f"{SECRET_ARN}#eu-west-1", REPLICA_ARN)):
        assert main(["access", "--snapshot", str(path), "--format", "json", "--secret",
                     query]) == 0
        [secret] = json.loads(capsys.readouterr().out)["secrets"]
        assert secret["secret_arn"] == arn, query


def test_a_replicas_region_and_region_must_agree_and_prove_takes_no_secret(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_snapshot(tmp_path / "snapshot.json.gz", replica_estate())
    shown = SECRET_ARN.rsplit(":", 1)[1]
    assert main(["access", "--snapshot", str(path), "--secret", f"{shown}#eu-west-1",
                 "--region", REGION]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.endswith(f"names Region eu-west-1, --region says {REGION}: give one")
    assert main(["access", "--snapshot", str(path), "--secret", "app/db", "--prove",
                 "app/db"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.endswith("--prove names the secret to prove; give it without --secret")


def test_a_region_without_secrets_is_refused_naming_the_scans_regions(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_snapshot(tmp_path / "snapshot.json.gz", replica_estate())
    assert main(["access", "--snapshot", str(path), "--region", "eu-west-1x"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.endswith("--region 'eu-west-1x': the scan holds no secret there (its Regions "
                         f"with secrets: eu-west-1, {REGION})")


def test_star_is_always_a_principal_to_ask_about(snapshot_file: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """--principal '*' (anyone) answers with its paths, or none, not "no principal by that
    name" when no path records it."""
    assert main(["access", "--snapshot", str(snapshot_file), "--principal", "*",
                 "--format", "json"]) == 0
    secrets = json.loads(capsys.readouterr().out)["secrets"]
    assert all(p["principal"] == "*" for s in secrets for p in s["paths"])


def test_a_newline_or_escape_in_a_secret_name_cannot_forge_a_line(
        snapshot_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import gzip

    hostile = SECRET_ARN.replace("app/db", "app/db\nFAKE LINE\x1b[2J")
    text = gzip.decompress(snapshot_file.read_bytes()).decode()
    evil = tmp_path / "evil.json"
    evil.write_text(text.replace(SECRET_ARN, json.dumps(hostile)[1:-1]))
    for extra in ([], ["--why"]):
        assert main(["access", "--snapshot", str(evil), *extra]) == 0
        out = capsys.readouterr().out
        assert "FAKE LINE" in out and "\x1b" not in out
        assert not any(line.startswith("FAKE") for line in out.splitlines()), out


def test_a_line_separator_in_a_secret_name_cannot_forge_a_line(
        snapshot_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Hostile-input trial: U+2028 and U+2029 reached the access text raw."""
    import gzip

    hostile = SECRET_ARN.replace("app/db", "app/db\u2028FAKE LINE\u2029")
    text = gzip.decompress(snapshot_file.read_bytes()).decode()
    evil = tmp_path / "evil.json"
    evil.write_text(text.replace(SECRET_ARN, json.dumps(hostile)[1:-1]))
    for extra in ([], ["--why"]):
        assert main(["access", "--snapshot", str(evil), *extra]) == 0
        out = capsys.readouterr().out
        assert "FAKE LINE" in out and "\u2028" not in out and "\u2029" not in out


def test_the_aws_managed_key_is_named_by_its_alias_arn_in_json(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A new user's trial: key_arn read '<account>:<region>:alias/aws/secretsmanager', the
    graph's id for the key, which is not an ARN."""
    path = write_snapshot(tmp_path / "snapshot.json.gz",
                          estate(secret_policy=None, kms_key_id=None))
    assert main(["access", "--snapshot", str(path), "--format", "json"]) == 0
    [secret] = json.loads(capsys.readouterr().out)["secrets"]
    assert secret["aws_managed_key"] is True
    assert secret["key_arn"] == f"arn:aws:kms:{REGION}:{CENTRAL}:alias/aws/secretsmanager"


def test_a_principal_only_a_key_grant_names_is_asked_about_by_name(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A vendor's role that a KMS grant names (and no secret grants: an excess grant) is a
    principal of the scan: `--principal VendorOps` answers that it reads nothing here instead
    of "no principal by that ARN, name or account" (ground-truth trial round 18)."""
    from helpers.access_estate import with_keys

    from scanner.model import KeyGrant

    vendor = "arn:aws:iam::999999999999:role/VendorOps"
    snap = with_keys(estate(secret_policy=secret_policy_for(APP_ROLE),
                            key_policy=key_policy_for(APP_ROLE),
                            principals=(role(APP_ROLE, allow_read_identity()),)),
                     grants=(KeyGrant(grant_id="g1", grantee_principal=vendor,
                                      operations=("Decrypt",)),))
    path = write_snapshot(tmp_path / "snapshot.json.gz", snap)
    assert main(["access", "--snapshot", str(path), "--principal", "VendorOps"]) == 0
    captured = capsys.readouterr()
    assert "no principal by that ARN" not in captured.err
    assert captured.out.startswith("no access path for this principal: it reads no secret")


def test_a_principal_that_reads_nothing_is_told_that_all_lists_the_secrets_denying_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """New-user trial round 27: `access --principal OrganizationAccountAccessRole` on the demo
    answered "no access path for this principal" and nothing else, while `--all` lists the
    secret whose "*" grant the key policy blocks for it, with the gates. The answer now says
    what to run next; with --all the denied read is the answer."""
    other = f"arn:aws:iam::{CENTRAL}:role/OtherRole"
    snap = estate(secret_policy=secret_policy_for("*"), key_policy=key_policy_for(APP_ROLE),
                  principals=(role(APP_ROLE, allow_read_identity()), role(other)))
    path = write_snapshot(tmp_path / "snapshot.json.gz", snap)
    assert main(["access", "--snapshot", str(path), "--principal", "OtherRole"]) == 0
    assert capsys.readouterr().out == (
        "no access path for this principal: it reads no secret and none is meant for it "
        "(--all also lists the secrets a policy grants it but another gate denies)\n")
    assert main(["access", "--snapshot", str(path), "--principal", "OtherRole", "--all"]) == 0
    out = capsys.readouterr().out
    assert SECRET_ARN in out and other in out and "DENIED" in out, out
    assert main(["access", "--snapshot", str(path), "--principal", "OtherRole",
                 "--secret", "app/db"]) == 0
    assert (f"{other}: no access path recorded (not a reader, not intended; --all shows a "
            "read a policy grants it but another gate denies)") in capsys.readouterr().out


def test_a_name_of_two_primaries_lists_the_primaries_not_their_replicas() -> None:
    """Ground-truth trial round 23: pay/conflict is a primary in ap-southeast-1 (replica in
    sa-east-1) and, under the same name, another primary in eu-west-3. The name alone names a
    primary (docs/access.md: "the name alone is the primary, a replica is named by its ARN or
    by --region"), so the choice is between the two primaries -- before, the replica was
    counted and listed too ("matches 3 secrets")."""
    from types import SimpleNamespace

    from scanner.commands._access_find import find_secret
    from scanner.errors import UsageError

    ap = "arn:aws:secretsmanager:ap-southeast-1:111111111111:secret:pay/conflict-AbCdEf"
    pa = "arn:aws:secretsmanager:eu-west-3:111111111111:secret:pay/conflict-GhIjKl"
    sa = ap.replace("ap-southeast-1", "sa-east-1")

    def copy(arn: str) -> SimpleNamespace:
        return SimpleNamespace(secret_arn=arn, name="pay/conflict", region=arn.split(":")[3])

    report = SimpleNamespace(secrets={ap: copy(ap), pa: copy(pa)}, replicas={sa: copy(sa)})
    with pytest.raises(UsageError) as caught:
        find_secret(report, "pay/conflict")
    assert str(caught.value) == (
        f"--secret 'pay/conflict' matches 2 secrets; give the ARN or --region: {ap}, {pa}")
    assert find_secret(report, "pay/conflict", region="sa-east-1").secret_arn == sa
