"""Ingesting folders: once, or watching them for new and changed files.

With a state topic (``ingest --watch`` and ``ingest serve``), what was published, root-relative
path → revision, is kept in a compacted topic (``vigie.ingest.state_topic``), so a restart
reads every file again but publishes only the new and the changed ones.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from kafka.errors import KafkaError

from vigie.shared.ids import article_id
from vigie.shared.messages import RawArticle

from .files import FileRejected, news_files, read_article
from .metrics import IngestMetrics
from .publisher import Publisher, PublishError
from .state_topic import StateTopic

log = logging.getLogger(__name__)


class FolderIngest:
    """Publishes every file under some roots; remembers what it sent so --watch sends changes."""

    def __init__(self, roots: list[Path], publisher: Publisher, metrics: IngestMetrics,
                 max_bytes: int, state: StateTopic | None = None) -> None:
        self.roots = [root.resolve() for root in roots]
        self.publisher = publisher
        self.metrics = metrics
        self.max_bytes = max_bytes
        self.state = state
        self._seen: dict[Path, tuple[float, int]] = {}
        self._revisions: dict[str, str] = {}  # article id → revision published
        if state is not None:
            for path, revision in state.load().items():
                self._revisions[article_id("file", path)] = revision.decode("utf-8", "replace")

    def scan(self) -> int:
        """Publish new or changed files; returns how many articles were published.

        Files are remembered only once the broker acknowledged them: after a failed flush the
        next scan reads them again (same ids), so an outage longer than the delivery timeout
        delays articles instead of losing them.
        """
        sent: list[tuple[Path, RawArticle]] = []
        for root in self.roots:
            for path in news_files(root):
                stamp = _stamp(path)
                if stamp is None or self._seen.get(path) == stamp:
                    continue
                self._seen[path] = stamp
                article = self._ingest(path, root)
                if article:
                    sent.append((path, article))
        try:
            self.publisher.flush()
        except PublishError:
            for path, article in sent:
                self._seen.pop(path, None)
                self._revisions.pop(article.id, None)
            raise
        self._remember([article for _, article in sent])
        return len(sent)

    def _remember(self, articles: list[RawArticle]) -> None:
        """Record acknowledged files in the state topic, without waiting for the broker: a
        broker that goes down right after acknowledging the articles must not stop the watch
        from reading the files that arrive meanwhile (the records go out when it is back, or
        at close). If they never do, a restart publishes these files once more (same ids),
        which is all it costs."""
        if self.state is None or not articles:
            return
        try:
            for article in articles:
                self.state.save(article.source.path, article.revision.encode())
        except KafkaError as exc:
            log.warning("watch state not saved; a restart republishes these files: %s", exc)

    def _ingest(self, path: Path, root: Path) -> RawArticle | None:
        """Publish one file; returns its article, or None if it was skipped."""
        try:
            article = read_article(path, root, self.max_bytes)
        except FileRejected as exc:
            self.metrics.files.labels(exc.reason).inc()
            log.warning("file skipped: %s", exc, extra={"path": str(path), "reason": exc.reason})
            return None
        if self._revisions.get(article.id) == article.revision:
            self.metrics.files.labels("unchanged").inc()
            return None
        self._revisions[article.id] = article.revision
        self.publisher.publish(article)
        self.metrics.files.labels("published").inc()
        log.info("file published", extra={"path": article.source.path, "article_id": article.id})
        return article

    def close(self) -> None:
        try:
            self.publisher.close()
        finally:
            if self.state is not None:
                self.state.close()

    def watch(self, interval: float, stop: threading.Event) -> None:
        """Scan until ``stop`` is set; a file still being written is re-read when it changes."""
        while not stop.is_set():
            try:
                self.scan()
            except PublishError as exc:
                log.error("articles not acknowledged; the next scan sends them again: %s", exc)
            stop.wait(interval)


def _stamp(path: Path) -> tuple[float, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime, stat.st_size
