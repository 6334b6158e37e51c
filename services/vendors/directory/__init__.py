"""The public directory of certified vendors: open data, read without a token."""
