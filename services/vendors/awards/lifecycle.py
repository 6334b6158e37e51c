"""The lifecycles of awards and protests, and their tracked tables: every status they take moves here.

An award is `intent` from its notice; a timely protest stays it, and it returns to `intent` once no
protest is pending; it takes effect (`active`), is rejected (and passes on), or is cancelled with its
solicitation. A protest is `pending` when filed in time and decided `upheld` or `denied` by evaluators,
`withdrawn` by its vendor, or `dismissed` by the server (untimely when filed, moot when its award ends).
"""

from __future__ import annotations

from services.common.records import TrackedTable
from services.common.transitions import StateMachine
from services.vendors.awards import repository
from services.vendors.contracts import AwardStatus, ProtestStatus
from services.vendors.db import audit

A = AwardStatus
P = ProtestStatus

AWARD_LIFECYCLE = StateMachine(
    "award",
    {
        A.intent: {A.stayed, A.active, A.rejected, A.cancelled},
        A.stayed: {A.intent, A.rejected, A.cancelled},
    },
)
PROTEST_LIFECYCLE = StateMachine("protest", {P.pending: {P.upheld, P.denied, P.withdrawn, P.dismissed}})

AWARDS = TrackedTable(repository.awards, "award", audit, AWARD_LIFECYCLE)
PROTESTS = TrackedTable(repository.protests, "protest", audit, PROTEST_LIFECYCLE)
