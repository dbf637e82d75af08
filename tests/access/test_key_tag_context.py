"""aws:ResourceTag on the Decrypt Secrets Manager makes is the key's tag (KMS Developer Guide,
"Use tags to control access to KMS keys": "You can control access to AWS KMS keys based on the
tags on the KMS key"; ground-truth trial round 28): known from ListResourceTags, none for an AWS
managed key ("you cannot tag an AWS managed key", KMS API Reference, TagResource), unknown when
not read."""

from __future__ import annotations

from typing import Any

from scanner.access.context import key_property_context

CUSTOMER: dict[str, Any] = {"key_manager": "CUSTOMER", "key_state": "Enabled", "aliases": ()}


def test_a_customer_keys_tags_are_its_resource_tags_and_others_absent() -> None:
    ctx, absent = key_property_context({**CUSTOMER, "tags": {"Team": "payments"}})
    assert ctx["aws:resourcetag/team"] == ("payments",)
    assert "aws:resourcetag/" in absent


def test_an_aws_managed_key_has_no_tag() -> None:
    ctx, absent = key_property_context({"key_manager": "AWS", "aliases": (
        "alias/aws/secretsmanager",), "tags": {}})
    assert not [k for k in ctx if k.startswith("aws:resourcetag/")]
    assert "aws:resourcetag/" in absent


def test_tags_not_read_stay_unknown() -> None:
    for key in ({**CUSTOMER, "tags": None}, {**CUSTOMER, "tags": {"team": "payments"},
                                            "unread": ("tags",)}, {**CUSTOMER}):
        ctx, absent = key_property_context(key)
        assert not [k for k in ctx if k.startswith("aws:resourcetag/")], key
        assert "aws:resourcetag/" not in absent, key


def test_two_tags_differing_only_in_case_leave_the_key_unknown() -> None:
    ctx, absent = key_property_context({**CUSTOMER, "tags": {"team": "a", "Team": "b"}})
    assert "aws:resourcetag/team" not in ctx
    assert "aws:resourcetag/" not in absent
