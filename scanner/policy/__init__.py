"""Policy evaluation: pure parsing and three-valued evaluation of IAM-style policies."""

from scanner.policy.evaluate import (
    Decision,
    PolicyKind,
    PolicyResult,
    decide,
    evaluate_policy,
)
from scanner.policy.parse import Policy, Statement, parse_policy, parse_policy_text
from scanner.policy.request import KeyState, Request
from scanner.policy.tri import Tri, all3, any3

__all__ = [
    "Decision", "KeyState", "Policy", "PolicyKind", "PolicyResult", "Request", "Statement",
    "Tri", "all3", "any3", "decide", "evaluate_policy", "parse_policy", "parse_policy_text",
]
