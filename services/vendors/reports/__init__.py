"""Procurement reports: the spend cube, diversity utilisation, competition and the vendor pool."""
