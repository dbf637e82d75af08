"""Scan history (SQLite file or S3 prefix), drift between two scans, and access baselines."""

from scanner.history.records import HistoryStore, ScanRecord, StoredScan
from scanner.history.store import DEFAULT_HISTORY, open_store

__all__ = ["DEFAULT_HISTORY", "HistoryStore", "ScanRecord", "StoredScan", "open_store"]
