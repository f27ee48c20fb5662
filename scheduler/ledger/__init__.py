"""Reading the office's Excel ledger. The only package that opens workbooks."""

from __future__ import annotations

from scheduler.ledger.reader import read_ledger

__all__ = ["read_ledger"]
