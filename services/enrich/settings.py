"""Enrich settings (environment variables ``VIGIE_*``, defaults documented here)."""

from __future__ import annotations

import dataclasses

from vigie.shared.config import setting
from vigie.shared.streams import StreamSettings


@dataclasses.dataclass(frozen=True, repr=False)
class EnrichSettings(StreamSettings):
    service = "enrich"

    enrich_app_id: str = setting("vigie-enrich", "consumer group and state prefix of enrich")
    enrich_metrics_port: int = setting(9102, "port of enrich's /metrics and /healthz")
    enrich_model: str = setting("fr_core_news_sm",
                                 "spaCy pipeline for the named entities of its own language")
    enrich_aliases_file: str = setting("", "extra entity aliases (YAML), merged over the built-in")
    enrich_max_text_chars: int = setting(
        300_000, "longer articles go to the dead-letter topic instead of NER"
    )
    enrich_chunk_size: int = setting(
        8, "articles the model process analyses at a time, the worker completing one chunk"
           " while the model tags the next; 0: a batch in one piece"
    )
