"""Sealed bids: submission with a receipt, replacement, withdrawal, and the public opening."""
