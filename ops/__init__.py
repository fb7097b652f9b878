"""Operator tools run by hand against a deployed stack (or the local one); see docs/operations.md."""
