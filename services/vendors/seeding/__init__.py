"""`cityops seed --scale N`: a realistic procurement dataset, sized by one Los Angeles fiscal year.

Scale 1 is a year of the City's spend: about 20,000 active vendors, 1,500 solicitations with their
bids, awards, contracts and subcontracts, and 2,000,000 payment lines summing to about $8.2B, a few
vendors taking most of it. Everything is drawn from one seeded generator and written with COPY.
"""
