"""Registered credentials are redacted wherever they appear, in any shape of log line, and
registering thousands of them stays cheap (one regex of every value, rebuilt at each
registration, was quadratic: bench/redact.py)."""

from __future__ import annotations

import pytest

import scanner.logging_setup as logging_setup
from scanner.logging_setup import REDACTED, redact, register_secret


@pytest.fixture(autouse=True)
def _empty_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logging_setup, "_KNOWN", set())
    monkeypatch.setattr(logging_setup, "_BY_HEAD", {})


def test_every_registered_value_goes_wherever_it_stands() -> None:
    register_secret("ASIAEXAMPLEKEY000001", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, "")
    line = ("Credential=ASIAEXAMPLEKEY000001/20261204/us-east-1/sts/aws4_request, "
            "secret:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY;ASIAEXAMPLEKEY000001")
    assert redact(line) == (f"Credential={REDACTED}/20261204/us-east-1/sts/aws4_request, "
                            f"secret:{REDACTED};{REDACTED}")


def test_values_sharing_a_start_are_redacted_longest_first() -> None:
    register_secret("abcdefgh12", "abcdefgh1234567")
    assert redact("x abcdefgh1234567 y abcdefgh12 z abcdefgh") == \
        f"x {REDACTED} y {REDACTED} z abcdefgh"


def test_short_values_and_empty_text_are_left_alone() -> None:
    register_secret("short")
    assert redact("short") == "short" and redact("") == ""


def test_three_thousand_credentials_register_without_a_regex_each() -> None:
    values = [f"ASIA{i:016d}" for i in range(3000)]
    register_secret(*values)
    assert len(logging_setup._BY_HEAD) == 1 and len(logging_setup._KNOWN) == 3000
    assert redact(f"key {values[1234]} used") == f"key {REDACTED} used"
