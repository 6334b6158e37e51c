"""Procurement metrics as time series (`MetricSeries`), for other services to track: the portfolio's
indicators read spend, diversity and competition from here."""
