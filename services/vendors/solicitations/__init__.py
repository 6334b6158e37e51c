"""Solicitations: what the City buys, when it takes bids, its addenda, and bidders' questions."""
