"""Evaluation of opened bids: determinations, scores, preferences and the ranking."""
