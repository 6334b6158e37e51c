"""Work that spans the procurement domains: a solicitation's moves and what they set off in bids and
awards, an award's notice, effect and rejection with the ranking and the solicitation.

A flow calls the domains' services in one transaction (the request's unit of work) and the domains never
call a flow, so solicitations, bids, awards and evaluation each import only the domains below them
(the layers contract in pyproject.toml). Routers call flows where a request spans domains.
"""
