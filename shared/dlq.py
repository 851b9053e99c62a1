"""Dead letters back into the pipeline: ``vigie dlq replay`` once the cause is fixed.

A dead letter keeps the original bytes, key, topic, partition and offset, so nothing a service
refused is lost: after a fix (a rule, the code, a size limit), replaying sends each letter's
original bytes back to its original topic, where the workers take it as any new message.
Replay reads the dead-letter topic up to its end at start, and re-sends only the letters that
match the filters (not those whose value was too large to carry: their error says where it is).
"""

from __future__ import annotations

from collections.abc import Iterator

from .config import KafkaSettings
from .kafka import make_producer, read_to_end
from .messages import DeadLetter, InvalidMessage, decode


def dead_letters(settings: KafkaSettings) -> Iterator[DeadLetter]:
    """Every dead letter currently in the topic, oldest first per partition."""
    for record in read_to_end(settings, settings.topic_dlq):
        try:
            yield decode(record.value, DeadLetter)
        except InvalidMessage:
            continue  # not a letter of ours


def replay(settings: KafkaSettings, *, service: str | None = None, topic: str | None = None,
           dry_run: bool = False) -> int:
    """Re-send matching letters to their original topics; returns how many."""
    producer = None if dry_run else make_producer(settings)
    count = 0
    for letter in dead_letters(settings):
        if (service and letter.service != service) or (topic and letter.topic != topic):
            continue
        print(f"{letter.failed_at} {letter.service} {letter.topic}[{letter.partition}]"
              f"@{letter.offset}: {letter.error[:120]}")
        if producer and not letter.value_kept:
            print("  not sent back: its value was too large for a letter (see the error)")
            continue
        count += 1
        if producer:
            key = letter.key.encode() if letter.key is not None else None
            producer.send(letter.topic, key=key, value=letter.value)
    if producer:
        producer.flush()
        producer.close()
    return count
