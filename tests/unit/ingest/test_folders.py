import pytest
from prometheus_client import CollectorRegistry

from vigie.ingest.folders import FolderIngest
from vigie.ingest.metrics import IngestMetrics
from vigie.ingest.publisher import PublishError


class FlakyPublisher:
    """Records what it is given; its first flush fails as if the broker were down."""

    def __init__(self) -> None:
        self.sent, self.acknowledged, self.failures_left = [], [], 1

    def publish(self, article) -> None:
        self.sent.append(article.id)

    def flush(self) -> int:
        pending, self.sent = self.sent, []
        if self.failures_left:
            self.failures_left -= 1
            raise PublishError("broker unreachable")
        self.acknowledged.extend(pending)
        return len(pending)


def test_files_not_acknowledged_are_sent_again_at_the_next_scan(tmp_path):
    (tmp_path / "a.txt").write_text("Titre\nUne alerte aérienne à Kyiv.", encoding="utf-8")
    publisher = FlakyPublisher()
    ingest = FolderIngest([tmp_path], publisher, IngestMetrics(CollectorRegistry()), 10_000)
    with pytest.raises(PublishError):
        ingest.scan()
    assert ingest.scan() == 1
    assert len(publisher.acknowledged) == 1
    assert ingest.scan() == 0  # acknowledged now: not sent a third time
