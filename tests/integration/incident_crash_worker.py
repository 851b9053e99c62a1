"""An alert worker that SIGKILLs itself right after its ``CRASH_AT_RECORD``-th incident record
was delivered, before that record's state reaches its table: the one place where a crash loses
the state of a record that went out (``vigie.alert.incidents.agent``)."""

from __future__ import annotations

import os
import signal

from vigie.alert import app
from vigie.alert.incidents.cap import LatestIncidents


def main() -> int:
    crash_at, delivered = int(os.environ["CRASH_AT_RECORD"]), 0
    add = LatestIncidents.add  # called once a record is delivered, before its state is kept

    def add_then_die(self, record) -> None:
        nonlocal delivered
        add(self, record)
        delivered += 1
        if delivered == crash_at:
            os.kill(os.getpid(), signal.SIGKILL)

    LatestIncidents.add = add_then_die
    return app.main()


if __name__ == "__main__":
    raise SystemExit(main())
