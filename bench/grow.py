"""Grow a real scan's snapshot to organization scale (issue 12's second shape, next to
bench/synth.py's).

    python bench/grow.py out/demo/snapshot.json.gz out/big.json.gz [--accounts 1000]
                         [--secrets 100000] [--org-wide 0.05] [--identity prefix|group|exact]

Start from the snapshot of a real scan (``secretgraph demo`` writes one to out/demo/), then:

* **member accounts**: every account other than the central one is copied, in groups (one
  copy of each per group), until there are ``--accounts`` accounts besides the originals. A copy
  keeps its roles, users, identity policies and network, with a new account id, new ids for the
  VPCs, subnets, route tables, security groups and peerings it owns, and its identity policies'
  secret ARNs widened so that they also cover copies of that secret. ``--identity prefix``
  (default) widens to the secret's name prefix (``NAME*``): every copy of a role names every
  copy of its secrets, including the copies granted to other groups, so the intended-but-broken
  pairs grow with accounts x secrets. ``--identity group`` widens to the copies granted to the
  copy's own group (``NAME-gG-*``, the copies are then named ``NAME-gG-cC``): a role reads
  what its account was granted. ``--identity exact`` leaves the copied identity policies as
  they are (they name the original secrets only). The organization lists the copies under the same parents, and SCPs that
  target an original also target its copies.
* **central secrets**: the central account's secrets (all its regions) are copied, round robin,
  until there are ``--secrets`` secrets. Copy ``c`` belongs to group ``1 + c % groups``: every
  member account id in its resource policy becomes that group's copy (the grants fan out over
  the member copies) and its key becomes that group's copy of the key. ``--org-wide`` of the
  copies (default 5 %) get an extra statement granting GetSecretValue to the whole
  organization (``aws:PrincipalOrgID``).
* **central keys**: each group gets a copy of every central KMS key (new key id and aliases),
  whose key policy names that group's member copies.
* **central identity policies** (not with ``--identity exact``): the secret ARNs they name are
  widened to the name prefix and the key ARNs to the key id's copies (``key/<id less its last
  12 digits>*``), so the central rotation role rotates the copies as it does the originals.

Everything is plain text replacement on the snapshot's JSON, so what the scan read (policies,
rotation, replicas, tags, coverage) is carried over as it was. Deterministic.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import re
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scanner.snapshot_io import load_document  # noqa: E402

_EC2_ID = re.compile(r"\b(vpc|subnet|rtb|sg|pcx)-([0-9a-f]{8,17})\b")
#: a secret ARN inside a JSON string, its random 6-character suffix the last thing before the
#: closing quote (a name with a 6-letter word, "key-excess-grant-xgTMlK", was widened at the
#: first one: "key*-grant-xgTMlK", which covers none of the copies)
_SECRET_ARN = re.compile(r"(arn:aws:secretsmanager:[a-z0-9-]+:\d{12}:secret:[^\"*]+?)-[A-Za-z0-9]{6}(?=\")")


def _replace_all(text: str, mapping: dict[str, str]) -> str:
    if not mapping:
        return text
    pattern = re.compile("|".join(re.escape(k) for k in sorted(mapping, key=len, reverse=True)))
    return pattern.sub(lambda m: mapping[m.group(0)], text)


def _account_id(group: int, index: int) -> str:
    return f"{900000000000 + group * 100 + index:012d}"


def _key_id(original: str, group: int) -> str:
    """A key id of the same shape, unique per group (the last 12 hex digits carry the group)."""
    return original[:-12] + f"{group:012x}" if len(original) >= 12 else f"{original}-{group}"


def grow(doc: dict[str, Any], *, accounts: int, secrets: int, org_wide: float,
         identity: str = "prefix") -> dict[str, Any]:
    meta = doc["meta"]
    central = meta["central_account"]
    by_id = {a["account_id"]: a for a in doc["accounts"]}
    others = [a for a in meta["accounts"] if a != central and a in by_id]
    groups = max(1, math.ceil(accounts / max(1, len(others))))
    central_acct = by_id[central]
    keys = [k for r in central_acct["regions"] for k in r.get("kms_keys") or ()]
    key_ids = sorted({k["key_id"] for k in keys})

    def account_map(g: int) -> dict[str, str]:
        return {a: _account_id(g, i) for i, a in enumerate(others)}

    def key_map(g: int) -> dict[str, str]:
        return {k: _key_id(k, g) for k in key_ids}

    # --- member copies
    new_accounts: list[dict[str, Any]] = []
    org = doc.get("organization")
    org_accounts = {a["account_id"]: a for a in (org or {}).get("accounts") or ()}
    made = 0
    for g in range(1, groups + 1):
        amap, kmap = account_map(g), key_map(g)
        for i, original in enumerate(others):
            if made >= accounts:
                break
            made += 1
            text = json.dumps(by_id[original])
            owned = set(_EC2_ID.findall(text))
            ec2 = {f"{p}-{h}": f"{p}-{h[:-4]}{g:04x}" for p, h in owned}
            text = _replace_all(text, {**amap, **kmap, **ec2})
            if identity != "exact":
                widen = "*" if identity == "prefix" else f"-g{g}-*"
                text = _SECRET_ARN.sub(lambda m: m.group(1) + widen, text)
            copy = json.loads(text)
            copy["name"] = f"{copy.get('name') or original}-g{g}"
            new_accounts.append(copy)
            if original in org_accounts:
                entry = dict(org_accounts[original], account_id=amap[original],
                             name=copy["name"])
                entry["email"] = f"{copy['name']}@grown.invalid"
                org["accounts"].append(entry)
            if org:
                for policy in org.get("policies") or ():
                    if original in policy.get("targets") or ():
                        policy["targets"].append(amap[original])
    # --- central keys, one copy per group
    for region in central_acct["regions"]:
        originals = list(region.get("kms_keys") or ())
        for g in range(1, groups + 1):
            amap, kmap = account_map(g), key_map(g)
            for k in originals:
                copy = json.loads(_replace_all(json.dumps(k), {**amap, **kmap}))
                copy["aliases"] = [f"{a}-g{g}" for a in k.get("aliases") or ()]
                region["kms_keys"].append(copy)
    # --- central secrets, round robin over the originals, fanned out over the groups
    templates = [(region, s) for region in central_acct["regions"]
                 for s in region.get("secrets") or ()]
    have = sum(len(a_r.get("secrets") or ()) for a in doc["accounts"] for a_r in a["regions"])
    every = max(1, round(1 / org_wide)) if org_wide > 0 else 0
    org_id = meta.get("org_id") or (org or {}).get("org_id")
    for c in range(max(0, secrets - have)):
        region, template = templates[c % len(templates)]
        g = 1 + c % groups
        text = _replace_all(json.dumps(template), {**account_map(g), **key_map(g)})
        copy = json.loads(text)
        name = template["name"]
        tail = f"g{g}-c{c}" if identity == "group" else f"c{c}"
        copy["name"] = f"{name}-{tail}"
        copy["arn"] = template["arn"].replace(f":secret:{name}-", f":secret:{name}-{tail}-")
        if every and org_id and c % every == 0:
            policy = json.loads(copy["resource_policy"]) if copy.get("resource_policy") else {
                "Version": "2012-10-17", "Statement": []}
            statements = policy.get("Statement")
            if isinstance(statements, dict):
                statements = [statements]
            policy["Statement"] = list(statements or []) + [{
                "Sid": "OrgWideRead", "Effect": "Allow", "Principal": "*",
                "Action": "secretsmanager:GetSecretValue", "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": org_id}}}]
            copy["resource_policy"] = json.dumps(policy)
        region["secrets"].append(copy)
    # --- the central account's identity policies (its rotation role's names each secret and
    # key it rotates): widened like the member copies', so that they cover the copies of their
    # secrets and keys too -- left as they were, the rotation role could read none of the
    # copies and secret-rotation-role-cannot-read failed nearly every secret of the estate
    if identity != "exact" and central_acct.get("iam"):
        text = _SECRET_ARN.sub(lambda m: m.group(1) + "*", json.dumps(central_acct["iam"]))
        text = _replace_all(text, {f":key/{k}": f":key/{k[:-12]}*" for k in key_ids
                                   if len(k) >= 12})
        central_acct["iam"] = json.loads(text)
    doc["accounts"] = list(doc["accounts"]) + new_accounts
    meta["accounts"] = list(meta["accounts"]) + [a["account_id"] for a in new_accounts]
    meta["scan_id"] = f"{meta['scan_id']}-grown-{len(meta['accounts'])}x{secrets}"
    return doc


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", type=Path, help="a scan's snapshot.json.gz")
    ap.add_argument("out", type=Path, help="the grown snapshot (.json.gz)")
    ap.add_argument("--accounts", type=int, default=1000, help="member-account copies to add")
    ap.add_argument("--secrets", type=int, default=100000, help="secrets in all")
    ap.add_argument("--org-wide", type=float, default=0.05,
                    help="share of the secret copies with an organization-wide grant")
    ap.add_argument("--identity", choices=("prefix", "group", "exact"), default="prefix",
                    help="what a member copy's identity policies name: every copy of their "
                         "secrets (prefix), the copies granted to its group (group), or the "
                         "original secrets only, as copied (exact)")
    args = ap.parse_args()
    started = time.perf_counter()
    doc = grow(load_document(args.source), accounts=args.accounts, secrets=args.secrets,
               org_wide=args.org_wide, identity=args.identity)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(args.out, "wt", encoding="utf-8", compresslevel=1) as out:
        json.dump(doc, out, separators=(",", ":"))
    n = sum(len(r.get("secrets") or ()) for a in doc["accounts"] for r in a["regions"])
    print(f"{args.out}: {len(doc['accounts'])} accounts, {n} secrets, "
          f"{args.out.stat().st_size / 2**20:.1f} MB, in {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
