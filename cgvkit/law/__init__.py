"""French law in numbers: the half-year rate table, interest, what a penalties clause means."""

from cgvkit.law.interest import InterestResult, Period, RateRule, floor_rate, indemnity, late_interest
from cgvkit.law.rates import HalfYearRates, MissingRateError, RateTable, half_year_bounds, half_year_of

__all__ = ["HalfYearRates", "InterestResult", "MissingRateError", "Period", "RateRule", "RateTable",
           "floor_rate", "half_year_bounds", "half_year_of", "indemnity", "late_interest"]
