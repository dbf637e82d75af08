"""Ground-truth trial round 27: an organization aimed at secret-rotation-role-cannot-read, unlike
the demo's and rounds 19 to 26, built in moto through sts.assume_role into each account, and what
a careful auditor says about it.

Shape:

* management 123456789012 holds secrets of its own (the scan's credentials are its own: no role
  is assumed there); the security account (sec) is a member, not the management account. OUs
  Security (sec), Apps (app: the readers; ops: a rotation Lambda for sec's secrets; blind: a
  rotation Lambda, and the audit role may not read its IAM), Restricted (locked: a rotation
  Lambda under an SCP that denies secretsmanager:GetSecretValue).
* Regions us-east-2 (everything) and eu-west-3 (a rotation Lambda of its own, the replicas of a
  multi-Region key's secret).
* rotation functions whose execution role: reads fine; lacks secretsmanager:GetSecretValue; is
  not in the key policy of a CMK without root delegation; is of a member account, named by the
  secret's resource policy or not; is trusted by ec2.amazonaws.com, not Lambda; was deleted;
  is under an SCP (locked) or a permissions boundary that denies the read; reads a secret on
  aws/secretsmanager with no kms permission (the AWS managed key's policy lets every principal
  of the account use it through Secrets Manager); is in eu-west-3; is shared by two secrets and
  may read one of them; sits in an account whose IAM could not be read. The management
  account's rotation role reads its secret although an SCP attached to the root denies that
  read (SCPs do not affect the management account).
* keys: a multi-Region key (mrk-) whose primary encrypts a secret and whose replica encrypts
  that secret's replica; a secret whose KmsKeyId is an alias ARN; a key whose only statement
  for the reader's account is the default key policy's grant statement (kms:CreateGrant for
  AWS resources) naming the whole account; a key granting Decrypt to a whole account.

``ground_truth`` was written from the AWS documentation before the scan was run: for each
resource, the rules that do not pass and who can read it.
"""

from __future__ import annotations

import json
from typing import Any, Sequence

from helpers.groundtruth import Estate, Seeder, Truth, seed_estate
from scanner.demo import network as net
from scanner.demo import policies as pol
from scanner.demo.clients import MANAGEMENT_ACCOUNT

UE2, EW3 = "us-east-2", "eu-west-3"
REGIONS = (UE2, EW3)
ROLE = "OrganizationAccountAccessRole"
APP = "AppRole"
SUPPRESSIONS = "suppressions: []\n"
#: the rotation actions of the Secrets Manager User Guide's execution-role policy
ROTATE = ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue",
          "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"]
#: the account whose IAM the audit role is denied (the scan's collector is stubbed for it)
BLIND = "blind"


def ground_truth(e: Estate) -> dict[str, Truth]:
    """Resource ARN -> the auditor's verdict. Readers are cross-account principals only."""
    a, r = e.accounts, e.res
    app = pol.role_arn(a["app"], APP)
    cannot = {"secret-rotation-role-cannot-read": "FAIL"}
    broken = {"secret-cross-account-access-broken": "FAIL"}
    off = {"secret-rotation-disabled": "FAIL"}
    none: frozenset[str] = frozenset()
    return {
        # the execution role reads and decrypts (the key delegates to sec's IAM)
        r["secret:rot/ok"]: Truth(readers=none),
        # DescribeSecret, PutSecretValue, UpdateSecretVersionStage but no GetSecretValue, and
        # no resource policy: same account, neither policy allows (IAM evaluation logic)
        r["secret:rot/no-get"]: Truth(fails=cannot, readers=none),
        # the key policy names only a key administrator, no root delegation: the role's own
        # kms:Decrypt allow counts for nothing ("no IAM policy alone is sufficient to allow
        # access to a KMS key" without the key policy allowing it, KMS Developer Guide)
        r["secret:rot/key-closed"]: Truth(fails=cannot, readers=none),
        # ops's role, named by the secret's policy and the key's: reads across accounts.
        # (The write actions granted to it are what cross-account rotation needs.)
        r["secret:rot/ops-granted"]: Truth(readers=frozenset({pol.role_arn(a["ops"],
                                                                           "OpsRotator")})),
        # ops's role with no resource policy on the secret: cross-account needs it (three
        # allows). Only the rotation rule: secret-cross-account-access-broken's intended
        # readers are those the secret's resource policy grants (its description)
        r["secret:rot/ops-ungranted"]: Truth(fails=cannot, readers=none),
        # trusted by ec2.amazonaws.com: Lambda cannot assume it
        r["secret:rot/bad-trust"]: Truth(fails=cannot, readers=none),
        # the role was deleted after the function was made
        r["secret:rot/role-gone"]: Truth(fails=cannot, readers=none),
        # locked's role: the secret and key name it, its account's SCP denies GetSecretValue
        r["secret:rot/scp-locked"]: Truth(fails={**cannot, **broken}, readers=none),
        # a permissions boundary without GetSecretValue: implicit deny
        r["secret:rot/bounded"]: Truth(fails=cannot, readers=none),
        # aws/secretsmanager: its key policy lets every principal of the account decrypt
        # through Secrets Manager (kms:CallerAccount, kms:ViaService): the role needs no kms
        # permission of its own
        r["secret:rot/managed-key"]: Truth(fails={"secret-uses-aws-managed-key": "FAIL"},
                                           readers=none),
        # eu-west-3's own function and key
        r["secret:rot/eu"]: Truth(readers=none),
        # a role under the path /service-role/
        r["secret:rot/path-role"]: Truth(readers=none),
        # RotationLambdaARN names an alias of rotate-ok (a qualified ARN): its role reads
        r["secret:rot/qualified"]: Truth(readers=none),
        # the key lets ops's role decrypt secrets whose SecretARN encryption context is
        # rot/context-*: this one
        r["secret:rot/context"]: Truth(readers=frozenset({pol.role_arn(a["ops"],
                                                                        "OpsRotator")})),
        # aws/secretsmanager named by its alias, and by its alias ARN: the AWS managed key
        r["secret:rot/managed-alias"]: Truth(fails={"secret-uses-aws-managed-key": "FAIL"},
                                             readers=none),
        r["secret:rot/managed-alias-arn"]: Truth(fails={"secret-uses-aws-managed-key": "FAIL"},
                                                 readers=none),
        # the role reads the secrets whose rotation function is its own
        r["secret:rot/by-arn"]: Truth(readers=none),
        # blind's role, not granted by the secret: denied whatever its IAM says
        r["secret:rot/blind-ungranted"]: Truth(fails=cannot, readers=none),
        # a Deny for everyone but AppRole: the rotation role too
        r["secret:app/locked-down"]: Truth(fails=cannot, readers=frozenset({app})),
        # KMS grants, not the key policy, let the readers decrypt
        r["secret:app/granted"]: Truth(fails=off, readers=frozenset({app})),
        r["secret:rot/grant-rot"]: Truth(readers=frozenset({pol.role_arn(a["ops"],
                                                                         "OpsRotator")})),
        # the multi-Region key named by its bare id (mrk-...), on the primary and the replica:
        # each Region's key of that id
        r["secret:app/mrk-bare"]: Truth(fails=off, readers=frozenset({app})),
        r[f"replica:app/mrk-bare@{EW3}"]: Truth(readers=frozenset({app})),
        # the policy names the function's session of ops's role: what rotation needs, no
        # broader than granting the role (not over-broad). The auditor says ops's role reads
        # it as that session (Lambda's session of an execution role is named after the
        # function); found and left alone: the analysis does not know a session's name and
        # calls the role's read CONDITIONAL on it (not held against the rotation rule)
        r["secret:rot/session-grant"]: Truth(readers=None),
        # the key lets ops's whole account decrypt: OpsRotator's identity policy does
        r["secret:rot/acct-key"]: Truth(readers=frozenset({pol.role_arn(a["ops"],
                                                                         "OpsRotator")})),
        # ... OpsNoKmsRotator's does not: cross-account, the key policy's grant to its account
        # needs the caller's identity policy too (KMS Developer Guide, "Allowing users in other
        # accounts to use a KMS key")
        r["secret:rot/acct-key-no-kms"]: Truth(fails={**cannot, **broken}, readers=none),
        # nokms's SCP denies kms:Decrypt: Secrets Manager's decrypt for the role is denied
        r["secret:rot/scp-kms"]: Truth(fails={**cannot, **broken}, readers=none),
        # the boundary allows secretsmanager:* only: the key delegates to sec's IAM, and
        # the boundary keeps kms:Decrypt out
        r["secret:rot/boundary-kms"]: Truth(fails=cannot, readers=none),
        # eu-west-3's secret on the replica of a multi-Region key whose policy lost the root
        # statement: the replica grants less than its primary, and EuRotator's kms:Decrypt
        # Allow counts for nothing there
        r["secret:rot/eu-mrk"]: Truth(fails=cannot, readers=none),
        r["key:mrk2@eu"]: Truth(fails={"kms-replica-key-policy-drift": "FAIL"}),
        # one function, its role may read shared-a only
        r["secret:rot/shared-a"]: Truth(readers=none),
        r["secret:rot/shared-b"]: Truth(fails=cannot, readers=none),
        # blind's role: its account's IAM not read -- its identity gate is not known; the
        # resource policy and key name it. Not known either way (the auditor, with IAM in
        # hand, would see it read: a reader the scan cannot confirm is not listed)
        r["secret:rot/blind"]: Truth(fails={"secret-rotation-role-cannot-read": "UNKNOWN",
                                            "secret-cross-account-access-broken": "UNKNOWN"},
                                     readers=none),
        # multi-Region key: primary in us-east-2, replica in eu-west-3, both granting AppRole
        r["secret:app/mrk"]: Truth(fails=off, readers=frozenset({app})),
        r[f"replica:app/mrk@{EW3}"]: Truth(readers=frozenset({app})),
        # KmsKeyId is the alias ARN of a key granting AppRole
        r["secret:app/alias-arn"]: Truth(fails=off, readers=frozenset({app})),
        # the key lets app's account only create grants for AWS resources: no Decrypt
        r["secret:app/grant-style"]: Truth(fails={**off, **broken}, readers=none),
        # the key grants Decrypt to app's whole account (its IAM decides)
        r["secret:app/account-key"]: Truth(fails=off, readers=frozenset({app})),
        # the audit role may not read blind's IAM: a coverage gap, and the identity policies
        # of the one role of blind the snapshot names (its function's) are not known
        f"account:{a[BLIND]}": Truth(fails={"scan-coverage-gap": "FAIL"}),
        r[f"role:{BLIND}/BlindRotator"]: Truth(fails={"identity-policy-secret-wildcard":
                                                      "UNKNOWN"}),
        # management's own secret, rotated by its own function; the root's SCP denying its
        # read does not apply to the management account
        r["secret:mgmt/billing"]: Truth(readers=none),
        # management's secret shared with AppRole
        r["secret:mgmt/shared"]: Truth(fails=off, readers=frozenset({app})),
    }


def _statement(actions: Sequence[str], resources: Sequence[str], sid: str) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": list(actions), "Resource": list(resources)}


class _Seeder(Seeder):
    TAG, REGION = "gt27", UE2

    def org(self) -> str:
        org = self.c.get(MANAGEMENT_ACCOUNT, "organizations", "us-east-1")
        org_id = str(org.create_organization(FeatureSet="ALL")["Organization"]["Id"])
        root = org.list_roots()["Roots"][0]["Id"]
        ous = {name: str(org.create_organizational_unit(ParentId=root, Name=name)
                         ["OrganizationalUnit"]["Id"])
               for name in ("Security", "Apps", "Restricted", "NoKms")}
        self.acct["management"] = MANAGEMENT_ACCOUNT
        for name, ou in (("sec", "Security"), ("app", "Apps"), ("ops", "Apps"),
                         (BLIND, "Apps"), ("locked", "Restricted"),
                         ("nokms", "NoKms")):
            acct = str(org.create_account(AccountName=name, Email=f"{name}@gt27.invalid")
                       ["CreateAccountStatus"]["AccountId"])
            org.move_account(AccountId=acct, SourceParentId=root, DestinationParentId=ous[ou])
            self.acct[name] = acct
        self.res["org"], self.res["root"] = org_id, root
        for ou, ou_id in ous.items():
            self.res[f"ou:{ou}"] = ou_id
        return org_id

    def scps(self) -> None:
        org = self.c.get(MANAGEMENT_ACCOUNT, "organizations", "us-east-1")
        # AWS refuses to attach an SCP before the root enables the type (moto does not)
        org.enable_policy_type(RootId=self.res["root"], PolicyType="SERVICE_CONTROL_POLICY")
        for name, target, statement in (
                ("deny-secret-reads", self.res["ou:Restricted"], {
                    "Sid": "NoSecretReads", "Effect": "Deny",
                    "Action": "secretsmanager:GetSecretValue", "Resource": "*"}),
                ("deny-decrypt", self.res["ou:NoKms"], {
                    "Sid": "NoDecrypt", "Effect": "Deny", "Action": "kms:Decrypt",
                    "Resource": "*"}),
                ("deny-billing-read", self.res["root"], {
                    "Sid": "NoBillingRead", "Effect": "Deny",
                    "Action": "secretsmanager:GetSecretValue",
                    "Resource": f"arn:aws:secretsmanager:*:{MANAGEMENT_ACCOUNT}:secret:"
                                "mgmt/billing*"})):
            pid = org.create_policy(Name=name, Description=name, Type="SERVICE_CONTROL_POLICY",
                                    Content=json.dumps(pol.doc(statement)))["Policy"][
                "PolicySummary"]["Id"]
            org.attach_policy(PolicyId=pid, TargetId=target)
        # an RCP on the root keeping the management account's mgmt/* secrets to its own
        # principals: RCPs do not affect the management account's resources
        org.enable_policy_type(RootId=self.res["root"], PolicyType="RESOURCE_CONTROL_POLICY")
        pid = org.create_policy(
            Name="mgmt-secrets-inside", Description="mgmt", Type="RESOURCE_CONTROL_POLICY",
            Content=json.dumps(pol.doc({
                "Sid": "MgmtSecretsInside", "Effect": "Deny", "Principal": "*",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "arn:aws:secretsmanager:*:*:secret:mgmt/*",
                "Condition": {"StringNotEquals": {"aws:PrincipalAccount":
                                                  MANAGEMENT_ACCOUNT}}})))["Policy"][
            "PolicySummary"]["Id"]
        org.attach_policy(PolicyId=pid, TargetId=self.res["root"])

    # ------------------------------------------------------------------ IAM
    def _role(self, owner: str, name: str, statements: Sequence[dict[str, Any]], *,
              service: str = "lambda.amazonaws.com", path: str = "/") -> str:
        iam = self.cl(owner, "iam")
        arn = str(iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=pol.text(
            pol.trust(service)))["Role"]["Arn"])
        if statements:
            iam.put_role_policy(RoleName=name, PolicyName="rotate",
                                PolicyDocument=pol.text(pol.doc(*statements)))
        self.res[f"role:{owner}/{name}"] = arn
        return arn

    def roles(self) -> None:
        a = self.acct
        sec, mgmt = a["sec"], MANAGEMENT_ACCOUNT
        secrets = f"arn:aws:secretsmanager:*:{sec}:secret:*"
        keys = f"arn:aws:kms:*:{sec}:key/*"
        full = [_statement(ROTATE, [secrets], "Rotate"),
                _statement(["kms:Decrypt", "kms:GenerateDataKey"], [keys], "UseKeys")]
        for name in ("OkRotator", "KeylessRotator"):
            self._role("sec", name, full)
        self._role("sec", "NoGetRotator", [
            _statement([x for x in ROTATE if x != "secretsmanager:GetSecretValue"], [secrets],
                       "RotateWithoutRead"),
            _statement(["kms:Decrypt", "kms:GenerateDataKey"], [keys], "UseKeys")])
        self._role("sec", "Ec2TrustRotator", full, service="ec2.amazonaws.com")
        self._role("sec", "GoneRotator", full)
        self._role("sec", "BoundedRotator", full)
        iam = self.cl("sec", "iam")
        boundary = iam.create_policy(PolicyName="no-secret-read", PolicyDocument=pol.text(pol.doc(
            _statement(["secretsmanager:DescribeSecret", "secretsmanager:PutSecretValue",
                        "secretsmanager:UpdateSecretVersionStage", "kms:*", "ec2:*"], ["*"],
                       "NoRead"))))["Policy"]["Arn"]
        iam.put_role_permissions_boundary(RoleName="BoundedRotator", PermissionsBoundary=boundary)
        self._role("sec", "ManagedRotator", [_statement(ROTATE, [secrets], "Rotate")])
        self._role("sec", "EuRotator", [
            _statement(ROTATE, [f"arn:aws:secretsmanager:{EW3}:{sec}:secret:*"], "Rotate"),
            _statement(["kms:Decrypt", "kms:GenerateDataKey"],
                       [f"arn:aws:kms:{EW3}:{sec}:key/*"], "UseKeys")])
        self._role("sec", "SharedRotator", [
            _statement(ROTATE, [f"arn:aws:secretsmanager:{UE2}:{sec}:secret:rot/shared-a-*"],
                       "RotateSharedA"),
            _statement(["kms:Decrypt", "kms:GenerateDataKey"], [keys], "UseKeys")])
        self._role("sec", "KeyAdmin", [], service="ec2.amazonaws.com")
        # reads only the secrets its own function rotates (Secrets Manager's resource key
        # secretsmanager:resource/AllowRotationLambdaArn)
        self._role("sec", "ByArnRotator", [
            {**_statement(ROTATE, [secrets], "RotateOwn"), "Condition": {"ArnEquals": {
                "secretsmanager:resource/AllowRotationLambdaArn":
                    f"arn:aws:lambda:{UE2}:{sec}:function:rotate-byarn"}}},
            _statement(["kms:Decrypt", "kms:GenerateDataKey"], [keys], "UseKeys")])
        # the console's place for a function's role: a path
        self._role("sec", "PathRotator", full, path="/service-role/")
        # the stand-in for the member accounts' functions while RotateSecret runs in sec
        self._role("sec", "StandIn", [])
        # ops's second rotation role: no kms permission of its own
        self._role("ops", "OpsNoKmsRotator", [_statement(ROTATE, [secrets], "Rotate")])
        # a boundary that lets the role read secrets but not use keys
        self._role("sec", "BoundKmsRotator", full)
        kms_boundary = iam.create_policy(PolicyName="secrets-only", PolicyDocument=pol.text(
            pol.doc(_statement(["secretsmanager:*", "ec2:*"], ["*"], "SecretsOnly"))))[
            "Policy"]["Arn"]
        iam.put_role_permissions_boundary(RoleName="BoundKmsRotator",
                                          PermissionsBoundary=kms_boundary)
        for owner, name in (("ops", "OpsRotator"), ("locked", "LockedRotator"),
                            ("nokms", "NoKmsRotator"),
                            (BLIND, "BlindRotator")):
            self._role(owner, name, full)
        self._role("management", "MgmtRotator", [
            _statement(ROTATE, [f"arn:aws:secretsmanager:*:{mgmt}:secret:*"], "Rotate"),
            _statement(["kms:Decrypt", "kms:GenerateDataKey"],
                       [f"arn:aws:kms:*:{mgmt}:key/*"], "UseKeys")])
        self._role("app", APP, [
            _statement(["secretsmanager:GetSecretValue"],
                       [f"arn:aws:secretsmanager:*:{sec}:secret:app/*",
                        f"arn:aws:secretsmanager:*:{mgmt}:secret:mgmt/*"], "Read"),
            {**_statement(["kms:Decrypt"], [keys, f"arn:aws:kms:*:{mgmt}:key/*"], "Decrypt"),
             "Condition": pol.via_secretsmanager(REGIONS)}],
            service="ecs-tasks.amazonaws.com")

    # ------------------------------------------------------------------ KMS
    def keys(self) -> None:
        a = self.acct
        sec, app = a["sec"], pol.role_arn(a["app"], APP)
        role = lambda owner, name: pol.role_arn(a[owner], name)  # noqa: E731
        self.key("sec", "rot", pol.key_policy(sec))
        self.key("sec", "closed", pol.text(pol.doc({
            "Sid": "KeyAdministrator", "Effect": "Allow",
            "Principal": {"AWS": role("sec", "KeyAdmin")}, "Action": "kms:*",
            "Resource": "*"})))
        rotation = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
        for name, grantee in (("ops", role("ops", "OpsRotator")),
                              ("locked", role("locked", "LockedRotator")),
                              ("blind", role(BLIND, "BlindRotator"))):
            self.key("sec", name, pol.text(pol.doc(pol.key_admin_statement(sec), {
                "Sid": "RotationFunction", "Effect": "Allow", "Principal": {"AWS": grantee},
                "Action": rotation, "Resource": "*",
                "Condition": pol.via_secretsmanager((UE2,))})))
        self.key("sec", "eu", pol.key_policy(sec), EW3)
        # ops's role decrypts only secrets whose ARN is rot/context-* (the encryption context
        # Secrets Manager passes: SecretARN)
        self.key("sec", "context", pol.text(pol.doc(pol.key_admin_statement(sec), {
            "Sid": "RotationFunctionBySecret", "Effect": "Allow",
            "Principal": {"AWS": role("ops", "OpsRotator")}, "Action": rotation,
            "Resource": "*", "Condition": {"StringLike": {
                "kms:EncryptionContext:SecretARN":
                    f"arn:aws:secretsmanager:{UE2}:{sec}:secret:rot/context-*"}}})))
        self.key("sec", "app", pol.key_policy(sec, [app], (UE2,)))
        # ops's whole account may decrypt through Secrets Manager: its IAM decides
        self.key("sec", "ops-account", pol.key_policy(sec, [pol.root_arn(a["ops"])], (UE2,)))
        self.key("sec", "nokms", pol.text(pol.doc(pol.key_admin_statement(sec), {
            "Sid": "RotationFunction", "Effect": "Allow",
            "Principal": {"AWS": role("nokms", "NoKmsRotator")}, "Action": rotation,
            "Resource": "*", "Condition": pol.via_secretsmanager((UE2,))})))
        self.key("sec", "account", pol.key_policy(sec, [pol.root_arn(a["app"])], (UE2,)))
        # the default key policy's "Allow attachment of persistent resources" statement,
        # naming app's whole account: grants for AWS resources, no Decrypt
        self.key("sec", "grant-style", pol.text(pol.doc(pol.key_admin_statement(sec), {
            "Sid": "AllowAttachmentOfPersistentResources", "Effect": "Allow",
            "Principal": {"AWS": pol.root_arn(a["app"])},
            "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
            "Resource": "*", "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}})))
        # a multi-Region key, its replica in eu-west-3 with the same policy
        mrk_policy = pol.key_policy(sec, [app], REGIONS)
        kms = self.cl("sec", "kms")
        meta = kms.create_key(Policy=mrk_policy, Description="gt27 mrk",
                              MultiRegion=True)["KeyMetadata"]
        kms.create_alias(AliasName="alias/gt27-mrk", TargetKeyId=meta["KeyId"])
        kms.enable_key_rotation(KeyId=meta["KeyId"])
        kms.replicate_key(KeyId=meta["KeyId"], ReplicaRegion=EW3, Policy=mrk_policy,
                          Description="gt27 mrk replica")
        self.res["key:mrk"] = str(meta["Arn"])
        # a second multi-Region key whose replica's policy lost the root statement (only the
        # key administrator): eu-west-3's rotation role, trusted through sec's IAM on the
        # primary, is not on the replica
        meta2 = kms.create_key(Policy=pol.key_policy(sec), Description="gt27 mrk2",
                               MultiRegion=True)["KeyMetadata"]
        kms.enable_key_rotation(KeyId=meta2["KeyId"])
        admin_only = pol.text(pol.doc({
            "Sid": "KeyAdministrator", "Effect": "Allow",
            "Principal": {"AWS": role("sec", "KeyAdmin")}, "Action": "kms:*",
            "Resource": "*"}))
        kms.replicate_key(KeyId=meta2["KeyId"], ReplicaRegion=EW3, Policy=admin_only)
        # moto copies the primary's policy onto the replica whatever ReplicateKey's Policy
        # says (AWS applies it): set it on the replica as AWS would have
        self.cl("sec", "kms", EW3).put_key_policy(KeyId=meta2["KeyId"], PolicyName="default",
                                                  Policy=admin_only)
        self.res["key:mrk2"] = str(meta2["Arn"])
        self.res["key:mrk2@eu"] = str(meta2["Arn"]).replace(f":{UE2}:", f":{EW3}:")
        self.res["key:mrk@eu"] = str(meta["Arn"]).replace(f":{UE2}:", f":{EW3}:")
        # keys whose policy names neither reader: KMS grants do (Decrypt for AppRole;
        # Decrypt and GenerateDataKey for ops's rotation role)
        for name, grantee, ops in (("granted", app, ["Decrypt"]),
                                   ("grant-rot", role("ops", "OpsRotator"),
                                    ["Decrypt", "GenerateDataKey"])):
            arn = self.key("sec", name, pol.key_policy(sec))
            kms.create_grant(KeyId=arn, GranteePrincipal=grantee, Operations=ops,
                             Name=f"gt27-{name}")
        mgmt = MANAGEMENT_ACCOUNT
        self.key("management", "mgmt", pol.key_policy(mgmt))
        self.key("management", "mgmt-shared", pol.key_policy(mgmt, [app], (UE2,)))

    # ------------------------------------------------------------------ network, functions
    def _fn(self, owner: str, region: str, name: str, role: str, vpc: tuple[str, str]) -> None:
        out = self.cl(owner, "lambda", region).create_function(
            FunctionName=name, Runtime="python3.12", Role=role,
            Handler="rotate.handler", Code={"ZipFile": self.zip}, Timeout=30,
            VpcConfig={"SubnetIds": [vpc[0]], "SecurityGroupIds": [vpc[1]]})
        self.res[f"lambda:{name}"] = str(out["FunctionArn"])

    def functions(self) -> None:
        r = self.res
        vpcs: dict[tuple[str, str], tuple[str, str]] = {}
        for i, (owner, region) in enumerate((("sec", UE2), ("sec", EW3), ("ops", UE2),
                                             ("locked", UE2), (BLIND, UE2), ("nokms", UE2),
                                             ("management", UE2))):
            _, sub, sg = self.rotation_vpc(owner, region, f"10.{40 + i}.0.0/16",
                                           f"rot-{owner}-{region}")
            vpcs[(owner, region)] = (sub, sg)
        for name, role in (("rotate-ok", "OkRotator"), ("rotate-noget", "NoGetRotator"),
                           ("rotate-keyless", "KeylessRotator"),
                           ("rotate-ec2trust", "Ec2TrustRotator"),
                           ("rotate-gone", "GoneRotator"), ("rotate-bounded", "BoundedRotator"),
                           ("rotate-managed", "ManagedRotator"),
                           ("rotate-shared", "SharedRotator"),
                           ("rotate-path", "PathRotator"),
                           ("rotate-byarn", "ByArnRotator"),
                           ("rotate-boundkms", "BoundKmsRotator")):
            self._fn("sec", UE2, name, r[f"role:sec/{role}"], vpcs[("sec", UE2)])
        self._fn("sec", EW3, "rotate-eu", r["role:sec/EuRotator"], vpcs[("sec", EW3)])
        for owner, name, role in (("ops", "rotate-ops", "OpsRotator"),
                                  ("locked", "rotate-locked", "LockedRotator"),
                                  (BLIND, "rotate-blind", "BlindRotator"),
                                  ("ops", "rotate-ops-nokms", "OpsNoKmsRotator"),
                                  ("nokms", "rotate-nokms", "NoKmsRotator"),
                                  ("management", "rotate-mgmt", "MgmtRotator")):
            self._fn(owner, UE2, name, r[f"role:{owner}/{role}"], vpcs[(owner, UE2)])
        # an alias of rotate-ok: a qualified function ARN
        self.res["lambda:rotate-ok:live"] = str(self.cl("sec", "lambda").create_alias(
            FunctionName="rotate-ok", Name="live", FunctionVersion="$LATEST")["AliasArn"])
        # GoneRotator is deleted after its function was made
        iam = self.cl("sec", "iam")
        iam.delete_role_policy(RoleName="GoneRotator", PolicyName="rotate")
        iam.delete_role(RoleName="GoneRotator")

    # ------------------------------------------------------------------ secrets
    def _rotated(self, owner: str, name: str, fn: str, *, key: str | None,
                 region: str | None = None, policy: str | None = None,
                 kms_key_id: str | None = None) -> None:
        """A secret of ``owner`` rotated by ``fn``; a function of another account gets a
        stand-in of its name in ``owner`` while RotateSecret runs (moto looks it up in the
        secret's own account; AWS takes the other account's function: gt25_estate)."""
        fn_owner = self.res[f"lambda:{fn}"].split(":")[4]
        stand_in = None
        if fn_owner != self.acct[owner]:
            stand_in = self.cl(owner, "lambda", region)
            stand_in.create_function(
                FunctionName=fn, Runtime="python3.12", Role=self.res["role:sec/StandIn"],
                Handler="rotate.handler", Code={"ZipFile": self.zip}, Timeout=30)
        self.secret(owner, name, key=key, region=region, policy=policy, rotation=fn,
                    kms_key_id=kms_key_id)
        if stand_in is not None:
            stand_in.delete_function(FunctionName=fn)

    def secrets(self) -> None:
        a = self.acct
        role = lambda owner, name: pol.role_arn(a[owner], name)  # noqa: E731
        app = role("app", APP)
        for_rotation = lambda grantee: pol.secret_policy(  # noqa: E731
            pol.allow_read([grantee], ROTATE, sid="RotationFunction"))
        read_app = pol.secret_policy(pol.allow_read([app]))
        self._rotated("sec", "rot/ok", "rotate-ok", key="rot")
        self._rotated("sec", "rot/no-get", "rotate-noget", key="rot")
        self._rotated("sec", "rot/key-closed", "rotate-keyless", key="closed")
        self._rotated("sec", "rot/ops-granted", "rotate-ops", key="ops",
                      policy=for_rotation(role("ops", "OpsRotator")))
        self._rotated("sec", "rot/ops-ungranted", "rotate-ops", key="ops")
        self._rotated("sec", "rot/bad-trust", "rotate-ec2trust", key="rot")
        self._rotated("sec", "rot/role-gone", "rotate-gone", key="rot")
        self._rotated("sec", "rot/scp-locked", "rotate-locked", key="locked",
                      policy=for_rotation(role("locked", "LockedRotator")))
        self._rotated("sec", "rot/bounded", "rotate-bounded", key="rot")
        self._rotated("sec", "rot/managed-key", "rotate-managed", key=None)
        self._rotated("sec", "rot/eu", "rotate-eu", key="eu", region=EW3)
        self._rotated("sec", "rot/shared-a", "rotate-shared", key="rot")
        self._rotated("sec", "rot/shared-b", "rotate-shared", key="rot")
        self._rotated("sec", "rot/path-role", "rotate-path", key="rot")
        self._rotated("sec", "rot/qualified", "rotate-ok:live", key="rot")
        self._rotated("sec", "rot/context", "rotate-ops", key="context",
                      policy=for_rotation(role("ops", "OpsRotator")))
        # aws/secretsmanager named by its alias, and by its alias ARN
        self._rotated("sec", "rot/managed-alias", "rotate-managed", key=None,
                      kms_key_id="alias/aws/secretsmanager")
        self._rotated("sec", "rot/managed-alias-arn", "rotate-managed", key=None,
                      kms_key_id=f"arn:aws:kms:{UE2}:{a['sec']}:alias/aws/secretsmanager")
        self._rotated("sec", "rot/by-arn", "rotate-byarn", key="rot")
        self._rotated("sec", "rot/blind-ungranted", "rotate-blind", key="blind")
        # only AppRole may read: a Deny for every other principal
        self._rotated("sec", "app/locked-down", "rotate-ok", key="app", policy=pol.secret_policy(
            pol.allow_read([app]),
            {"Sid": "OnlyAppRole", "Effect": "Deny", "Principal": "*",
             "Action": "secretsmanager:GetSecretValue", "Resource": "*",
             "Condition": {"ArnNotEquals": {"aws:PrincipalArn": app}}}))
        self.secret("sec", "app/granted", key="granted", policy=read_app)
        self._rotated("sec", "rot/grant-rot", "rotate-ops", key="grant-rot",
                      policy=for_rotation(role("ops", "OpsRotator")))
        mrk_id = self.res["key:mrk"].rsplit("/", 1)[1]
        sm = self.cl("sec", "secretsmanager")
        arn = str(sm.create_secret(Name="app/mrk-bare", SecretString='{"password":"gt27"}',
                                   KmsKeyId=mrk_id, AddReplicaRegions=[
                                       {"Region": EW3, "KmsKeyId": mrk_id}])["ARN"])
        sm.put_resource_policy(SecretId=arn, ResourcePolicy=read_app)
        self.res["secret:app/mrk-bare"] = arn
        self.res[f"replica:app/mrk-bare@{EW3}"] = arn.replace(f":{UE2}:", f":{EW3}:")
        # the resource policy names the session Lambda's credentials are: the role's session
        # named after the function
        self._rotated("sec", "rot/session-grant", "rotate-ops", key="ops",
                      policy=for_rotation(f"arn:aws:sts::{a['ops']}:assumed-role/OpsRotator/"
                                          "rotate-ops"))
        self._rotated("sec", "rot/acct-key", "rotate-ops", key="ops-account",
                      policy=for_rotation(role("ops", "OpsRotator")))
        self._rotated("sec", "rot/acct-key-no-kms", "rotate-ops-nokms", key="ops-account",
                      policy=for_rotation(role("ops", "OpsNoKmsRotator")))
        self._rotated("sec", "rot/scp-kms", "rotate-nokms", key="nokms",
                      policy=for_rotation(role("nokms", "NoKmsRotator")))
        self._rotated("sec", "rot/boundary-kms", "rotate-boundkms", key="rot")
        self._rotated("sec", "rot/eu-mrk", "rotate-eu", key="mrk2@eu", region=EW3)
        self._rotated("sec", "rot/blind", "rotate-blind", key="blind",
                      policy=for_rotation(role(BLIND, "BlindRotator")))
        self.secret("sec", "app/mrk", key="mrk", replica=(EW3, "mrk@eu"), policy=read_app)
        alias_arn = f"arn:aws:kms:{UE2}:{a['sec']}:alias/gt27-app"
        self.secret("sec", "app/alias-arn", key=None, kms_key_id=alias_arn, policy=read_app)
        self.secret("sec", "app/grant-style", key="grant-style", policy=read_app)
        self.secret("sec", "app/account-key", key="account", policy=read_app)
        self._rotated("management", "mgmt/billing", "rotate-mgmt", key="mgmt")
        self.secret("management", "mgmt/shared", key="mgmt-shared", policy=read_app)


    # ------------------------------------------------------------------ night 2
    def night2(self) -> None:
        a, r = self.acct, self.res
        sec = a["sec"]
        iam = self.cl("sec", "iam")
        # OkRotator loses GetSecretValue
        iam.put_role_policy(RoleName="OkRotator", PolicyName="rotate", PolicyDocument=pol.text(
            pol.doc(_statement([x for x in ROTATE if x != "secretsmanager:GetSecretValue"],
                               [f"arn:aws:secretsmanager:*:{sec}:secret:*"], "Rotate"),
                    _statement(["kms:Decrypt", "kms:GenerateDataKey"],
                               [f"arn:aws:kms:*:{sec}:key/*"], "UseKeys"))))
        # BoundedRotator's boundary is removed; GoneRotator is made again
        iam.delete_role_permissions_boundary(RoleName="BoundedRotator")
        self._role("sec", "GoneRotator", [
            _statement(ROTATE, [f"arn:aws:secretsmanager:*:{sec}:secret:*"], "Rotate"),
            _statement(["kms:Decrypt", "kms:GenerateDataKey"],
                       [f"arn:aws:kms:*:{sec}:key/*"], "UseKeys")])
        # ops-ungranted's resource policy now names ops's rotation role
        self.cl("sec", "secretsmanager").put_resource_policy(
            SecretId=r["secret:rot/ops-ungranted"], ResourcePolicy=pol.secret_policy(
                pol.allow_read([pol.role_arn(a["ops"], "OpsRotator")], ROTATE,
                               sid="RotationFunction")))
        # eu-west-3's rotation function is deleted
        self.cl("sec", "lambda", EW3).delete_function(FunctionName="rotate-eu")


def night2_truth(e: Estate) -> dict[str, Truth]:
    """Night 2: OkRotator lost GetSecretValue (rot/ok, rot/qualified fail; app/locked-down
    still fails, now for two reasons), BoundedRotator's boundary is gone and GoneRotator is
    back (both pass), ops-ungranted names ops's role (passes, ops's role reads it), and
    eu-west-3's rotation function was deleted (secret-rotation-function-missing for its two
    secrets; its role is then not judged)."""
    a, r = e.accounts, e.res
    truth = ground_truth(e)
    cannot = {"secret-rotation-role-cannot-read": "FAIL"}
    none: frozenset[str] = frozenset()
    for name in ("ok", "qualified"):
        truth[r[f"secret:rot/{name}"]] = Truth(fails=cannot, readers=none)
    for name in ("bounded", "role-gone"):
        truth[r[f"secret:rot/{name}"]] = Truth(readers=none)
    truth[r["secret:rot/ops-ungranted"]] = Truth(readers=frozenset({
        pol.role_arn(a["ops"], "OpsRotator")}))
    for name in ("eu", "eu-mrk"):
        truth[r[f"secret:rot/{name}"]] = Truth(
            fails={"secret-rotation-function-missing": "FAIL"}, readers=none)
    return truth


def night2(estate: Estate) -> Estate:
    """Night 2's changes on the same moto server."""
    s = _Seeder(estate.endpoint_url)
    s.acct, s.res = dict(estate.accounts), dict(estate.res)
    s.night2()
    return Estate(endpoint_url=estate.endpoint_url, org_id=estate.org_id,
                  accounts=dict(s.acct), res=dict(sorted(s.res.items())))


def seed(endpoint_url: str) -> Estate:
    """Reset the moto server and build the organization's estate (groundtruth.seed_estate)."""
    return seed_estate(_Seeder, endpoint_url, seed=27,
                       steps=(_Seeder.scps, _Seeder.roles, _Seeder.keys, _Seeder.functions,
                              _Seeder.secrets))
