"""Payments to vendors: the spend facts every procurement report is computed from."""
