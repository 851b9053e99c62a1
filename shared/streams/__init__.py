"""faust-streaming plumbing shared by the stream services (enrich, alert).

Agents stay thin: consume a batch, call pure functions, produce. The package, one module per
job:

* ``settings``: what every worker reads from the environment;
* ``app``: the faust app (raw bytes, at-least-once), its state tables and its consumer group's
  preparation;
* ``dead_letters``: the agents, which send what they cannot process to the dead-letter topic
  and go on;
* ``watch``: consumer lag, stalled workers and stalled partitions;
* ``worker``: running, stopping and restarting a worker, and its ``/healthz``;
* ``faust_internals``: the only module that touches faust, aiokafka or mode internals (the
  corrections of faust's offset handling, and the version guard).
"""

from .app import check_settings, make_app, prepare_group, state_table
from .dead_letters import Agents
from .settings import StreamSettings
from .watch import StreamWatch
from .worker import RESTART_STATUS, health_route, run_worker

__all__ = ["RESTART_STATUS", "Agents", "StreamSettings", "StreamWatch", "check_settings",
           "health_route", "make_app", "prepare_group", "run_worker", "state_table"]
