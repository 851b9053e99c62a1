"""Vigie: streaming news ingestion and alerting.

Installed as the ``vigie`` package: ``vigie.ingest``, ``vigie.enrich`` and ``vigie.alert`` are
the services (one folder each under ``services/``), ``vigie.shared`` is their common code.
"""

__version__ = "0.1.0"
