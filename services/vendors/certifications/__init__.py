"""Certifications: time-versioned records of what a vendor is certified as, by which agency, until when."""
