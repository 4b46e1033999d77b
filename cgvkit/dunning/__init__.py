"""The daily dunning run: ledger CSV + ladder → per-debtor plan → filled letters."""
