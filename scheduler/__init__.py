"""taizhang (台账预警): weekly tracking and early warnings for a rectification task ledger."""

from __future__ import annotations

__version__ = "0.1.0"
