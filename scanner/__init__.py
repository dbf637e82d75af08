"""secretgraph: audit an AWS Organization's centralized Secrets Manager estate."""

__version__ = "0.1.0"
