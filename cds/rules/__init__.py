"""The clinical rules (clinical.md §3–9): pure functions of (record, as_of, profile).

`assess` is the one entry point; the modules beside it each hold one decision (index date,
kidney function, response, flare, refractory, possible LN, kidney failure, SLEDAI-2K).
"""

from __future__ import annotations

from cds.rules.assess import assess

__all__ = ["assess"]
