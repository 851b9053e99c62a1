"""A notify worker with hooks, to force an order instead of waiting for it by chance:

* ``NOTIFY_CLOCK_FILE``: the throttle's clock is the number in that file (seconds since the
  epoch), so a test says when an update's interval has passed;
* ``CRASH_AFTER_RECORDED=N``: SIGKILL right after the N-th message was sent and recorded (its
  state in the table's changelog);
* ``CRASH_AFTER_SENT=N``: SIGKILL right after the N-th message was accepted by every URL,
  before its record: the one place where a crash repeats a message.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

from vigie.notify import app
from vigie.notify.delivery import Sender
from vigie.notify.notices import Notifier


def die_after(count: int, original):
    calls = 0

    def hooked(*args, **kwargs):
        nonlocal calls
        result = original(*args, **kwargs)
        calls += 1
        if calls == count:
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    return hooked


def crash_after_sent(count: int):
    send, calls = Sender.send, 0

    async def send_then_die(self, *args, **kwargs):
        nonlocal calls
        failures = await send(self, *args, **kwargs)
        calls += not failures
        if calls == count:
            os.kill(os.getpid(), signal.SIGKILL)
        return failures

    return send_then_die


def main() -> int:
    if "NOTIFY_CLOCK_FILE" in os.environ:
        clock_file = Path(os.environ["NOTIFY_CLOCK_FILE"])
        app.clock = lambda: float(clock_file.read_text())
    if "CRASH_AFTER_RECORDED" in os.environ:
        Notifier.sent = die_after(int(os.environ["CRASH_AFTER_RECORDED"]), Notifier.sent)
    if "CRASH_AFTER_SENT" in os.environ:
        Sender.send = crash_after_sent(int(os.environ["CRASH_AFTER_SENT"]))
    return app.main()


if __name__ == "__main__":
    raise SystemExit(main())
