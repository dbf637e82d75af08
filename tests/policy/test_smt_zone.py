"""Who a proof treats as inside (docs/access.md, "Proofs"): the trust zone -- the organization,
the scanned accounts and the config's trusted_accounts -- and the allow-list
(allowed_external_accounts), as the access report reads them. The page named the scanned
accounts and --allowed-external-accounts only, leaving out --trusted-accounts."""

from __future__ import annotations

import pytest

from scanner.access.settings import AccessSettings
from scanner.policy.trust_zone import TrustZone

pytest.importorskip("z3")

from scanner.policy.smt.solve import zone_of

ORG, SCANNED, TRUSTED, ALLOWED, STRANGER = ("111111111111", "222222222222", "333333333333",
                                            "444444444444", "555555555555")


def test_a_proof_counts_the_organization_scanned_trusted_and_allowed_accounts_inside() -> None:
    settings = AccessSettings(
        zone=TrustZone.of(organization=[ORG, SCANNED], scanned=[SCANNED], trusted=[TRUSTED]),
        allowed_external_accounts=frozenset({ALLOWED}))
    assert zone_of(settings) == {ORG, SCANNED, TRUSTED, ALLOWED}
    assert STRANGER not in zone_of(settings)
