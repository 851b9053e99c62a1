"""Ingesting folders: once, or watching them for new and changed files."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from .files import FileRejected, news_files, read_article
from .metrics import IngestMetrics
from .publish import Publisher, PublishError

log = logging.getLogger(__name__)


class FolderIngest:
    """Publishes every file under some roots; remembers what it sent so --watch sends changes."""

    def __init__(self, roots: list[Path], publisher: Publisher, metrics: IngestMetrics,
                 max_bytes: int) -> None:
        self.roots = [root.resolve() for root in roots]
        self.publisher = publisher
        self.metrics = metrics
        self.max_bytes = max_bytes
        self._seen: dict[Path, tuple[float, int]] = {}
        self._revisions: dict[str, str] = {}

    def scan(self) -> int:
        """Publish new or changed files; returns how many articles were published.

        Files are remembered only once the broker acknowledged them: after a failed flush the
        next scan reads them again (same ids), so an outage longer than the delivery timeout
        delays articles instead of losing them.
        """
        sent: list[tuple[Path, str]] = []
        for root in self.roots:
            for path in news_files(root):
                stamp = _stamp(path)
                if stamp is None or self._seen.get(path) == stamp:
                    continue
                self._seen[path] = stamp
                article_id = self._ingest(path, root)
                if article_id:
                    sent.append((path, article_id))
        try:
            self.publisher.flush()
        except PublishError:
            for path, article_id in sent:
                self._seen.pop(path, None)
                self._revisions.pop(article_id, None)
            raise
        return len(sent)

    def _ingest(self, path: Path, root: Path) -> str | None:
        """Publish one file; returns its article id, or None if it was skipped."""
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
        return article.id

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
