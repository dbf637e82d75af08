"""Remediation: plans from findings, the plan file, apply with drift checks, journal, undo.

Pure: config, inputs (file reading), planner, planfile, render. I/O: sessions, engine.
"""
