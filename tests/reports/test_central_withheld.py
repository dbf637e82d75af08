"""A scan whose central-account inference was withheld (fault trial round 3): the reports say
so, and `export securityhub --mode central` refuses to guess the account (exit 2, naming
--central-account) instead of sending every finding to a member account."""

from __future__ import annotations

from typing import Any

import pytest

from reports._common import summary_line
from reports.hub_payload import build_payload
from scanner.errors import UsageError

MEMBER = "222222222222"


def _header(central: str | None, source: str) -> dict[str, Any]:
    return {"scan": {"id": "s", "complete": False, "accounts": ["111111111111", MEMBER],
                     "regions": ["us-east-1"], "central_account": central,
                     "central_account_source": source}, "coverage": []}


def test_the_summary_says_the_inference_was_withheld() -> None:
    """Fault trial round 3: the night showed a member as "(inferred)" central with no caveat;
    a withheld inference is shown, not silently absent."""
    line = summary_line({**_header(None, "withheld"), "findings": []})
    assert "central account withheld" in line and "--central-account" in line


def test_export_central_refuses_a_withheld_inference_naming_the_flag() -> None:
    """Fault trial round 3: `export securityhub --mode central --dry-run` targeted the member
    account the throttled night had inferred."""
    with pytest.raises(UsageError) as err:
        build_payload(_header(None, "withheld"), [], mode="central")
    assert "--central-account" in str(err.value) and "withheld" in str(err.value)


def test_export_central_with_the_flag_still_works_on_a_withheld_scan() -> None:
    prepared, counts, _ = build_payload(_header(None, "withheld"), [], mode="central",
                                        central_account=MEMBER)
    assert prepared == []
