"""Shared test helpers, imported as ``helpers.<module>`` (setup.cfg puts tests/ on pytest's
pythonpath). Estates and records that several test folders build live here, not in a test
folder that others reach with sys.path."""
