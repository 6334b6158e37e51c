"""`python -m bench`: the load benchmark; `python -m bench reports`: the report benchmark."""

import sys

if sys.argv[1:2] == ["reports"]:
    from bench.reports import entry_point

    del sys.argv[1]
else:
    from bench.run import entry_point

entry_point()
