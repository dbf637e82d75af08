"""Remediation: plans from findings, the plan file, apply with drift checks, journal, undo.

Pure: config, inputs (file reading), planner, effects (a plan's predicted effect on access
and findings), planfile, journal (its lines; written by the apply), render, permissions (the
remediation role's policy). I/O: sessions, engine (apply), undo, and runs (what the two share).
"""
