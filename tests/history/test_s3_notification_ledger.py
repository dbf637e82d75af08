"""The S3 history's notification ledger (notifications.json): which scan's notification the
scheduled function settled last. A ledger whose ``settled_through`` is not a scan id (null, a
number) is damaged and said to be -- read as the text "None" it matched no scan, and every
owed notification was silently never sent (fault-injection trial round 18)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from scanner.errors import SecretgraphError
from scanner.history import open_store

BUCKET = "central-secretgraph-history"



def _ledger(s3: Any, settled: Any) -> Any:
    store = open_store(f"s3://{BUCKET}/nightly", s3_client=s3)
    store.set_notified_through("s1")  # the ledger as the function writes it
    body = json.loads(s3.get_object(Bucket=BUCKET, Key="nightly/notifications.json")["Body"]
                      .read())
    body["settled_through"] = settled
    s3.put_object(Bucket=BUCKET, Key="nightly/notifications.json",
                  Body=json.dumps(body).encode())
    return store


def test_the_settled_scan_is_read_back(s3: Any) -> None:
    store = open_store(f"s3://{BUCKET}/nightly", s3_client=s3)
    assert store.notified_through() is None  # no run has settled one
    store.set_notified_through("")
    assert store.notified_through() == ""  # none settled yet
    store.set_notified_through("s1")
    assert store.notified_through() == "s1"


@pytest.mark.parametrize("settled", [None, 7, ["s1"]])
def test_a_ledger_whose_settled_scan_is_no_scan_id_is_damaged(s3: Any, settled: Any) -> None:
    store = _ledger(s3, settled)
    with pytest.raises(SecretgraphError) as err:
        store.notified_through()
    message = str(err.value)
    assert "damaged notification ledger" in message and "notifications.json" in message
    assert "settled_through" in message
