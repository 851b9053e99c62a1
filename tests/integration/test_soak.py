"""``make soak``'s own code on 20,000 articles over two windows, so the soak cannot rot unseen:
the dedup and publish-once tables keep one window's worth of live keys, every alert id fed is
published exactly once, the dedup partition is taken over after a SIGKILL of its owner, and
no agent crashed (``tests.soak.violations``)."""

import pytest

from .. import soak

pytestmark = pytest.mark.integration


def test_a_short_soak_keeps_one_window_of_state_and_publishes_each_alert_once(broker, tmp_path):
    args = soak.parse_args(["--articles", "20000", "--windows", "2", "--every", "10000"])
    outcome = soak.run(args, tmp_path, broker)
    assert [row["articles"] for row in outcome.rows] == [10_000, 20_000]
    assert outcome.distinct_alerts > 0 and outcome.takeover_s > 0
    assert soak.violations(outcome) == []
