"""A bid's statuses and the moves between them: withdrawn by its vendor before the close, or opened at
the public opening (nonresponsive when it misses an addendum). Nothing moves a bid after that."""

from __future__ import annotations

from services.common.records import TrackedTable
from services.common.transitions import StateMachine
from services.vendors.bids.repository import bids
from services.vendors.contracts import BidStatus
from services.vendors.db import audit

B = BidStatus
LIFECYCLE = StateMachine("bid", {B.submitted: {B.withdrawn, B.opened, B.nonresponsive}})
BIDS = TrackedTable(bids, "bid", audit, LIFECYCLE)
