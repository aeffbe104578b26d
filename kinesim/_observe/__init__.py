"""The observation layer: trace, metrics (and, above the domain's needs, the ledger)."""
