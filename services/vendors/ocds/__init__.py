"""The OCDS publication: the City's contracting processes as Open Contracting release and record
packages, public and built from the procurement tables."""
