"""Bulk imports of payments and vendors: a CSV upload streamed into COPY, checked and merged in SQL."""
