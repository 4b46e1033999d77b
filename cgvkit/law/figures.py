"""Every legal figure the kit uses, defined once, with the article it comes from."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

# Markets: between professionals, or with consumers.
B2B, B2C = "b2b", "b2c"
MARKETS = (B2B, B2C)
MARKET_NAMES = {B2B: "entre professionnels (B2B)", B2C: "consommateurs (B2C)"}  # as staff read them

# Code de commerce, art. L441-10 I: payment term caps.
PAYMENT_TERM_MAX_DAYS = 60  # from the invoice date
PAYMENT_TERM_EOM_MAX_DAYS = 45  # "45 jours fin de mois"

# Code de commerce, art. L441-11 II: road haulage, vehicle hire, freight forwarding… (public policy).
TRANSPORT_MAX_DAYS = 30  # from the invoice's date of issue

# Code de commerce, art. L441-10 II: penalties floor and the statutory rate when the CGV are silent.
PENALTY_FLOOR_MULTIPLIER = Decimal(3)  # × the legal interest rate
STATUTORY_ECB_MARGIN = Decimal(10)  # ECB main refinancing rate + 10 points

# Code de commerce, art. L441-10 II and D441-5: fixed recovery indemnity per late invoice (B2B only).
INDEMNITY = Decimal("40.00")

# Code des procédures civiles d'exécution, art. L125-1 and R125-1: simplified small-claims procedure.
SMALL_CLAIM = Decimal("5000.00")

# Acceleration (déchéance du terme) against a consumer: only after a formal notice left unanswered for a
# reasonable time; 8 and 15 days were held abusive (Cass. 1re civ. 22 mars 2023 n° 21-16.044; 29 mai 2024
# n° 23-12.904). The kit gives at least 30 days.
CONSUMER_ACCELERATION_NOTICE_DAYS = 30

# Limitation periods from delivery or completion (not the due date): C. com. art. L110-4 (B2B),
# C. conso. art. L218-2 (B2C).
PRESCRIPTION_YEARS = {B2B: (5, "C. com. art. L110-4"), B2C: (2, "C. conso. art. L218-2")}

# The kit's stated interest convention: simple interest per calendar day on a 365-day year.
DAYS_PER_YEAR = 365


def half_year_fr(start: date) -> str:
    """« 1er semestre 2026 » for the half-year starting on `start` (rates change each half-year,
    Code monétaire et financier, art. L313-2)."""
    return f"{'1er' if start.month < 7 else '2d'} semestre {start.year}"
