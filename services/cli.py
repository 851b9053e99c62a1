"""The ``vigie`` command: one entry point for the broker, the services and the tools.

Every command reads its settings from ``VIGIE_*`` environment variables (``vigie config`` lists
them with their defaults); flags only name what to work on.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

from vigie.shared.errors import VigieError


def _kafka_settings():
    from vigie.shared.config import KafkaSettings

    return KafkaSettings.from_env()


def _local_broker(nodes: int):
    """One node on the bootstrap's port, or ``nodes`` on it and the ports after it."""
    from vigie.shared.broker import LocalBroker, LocalCluster

    home = Path(os.environ.get("VIGIE_BROKER_HOME", ".vigie/broker")).resolve()
    port = _kafka_settings().bootstrap_addresses[0][1]
    if nodes == 1:
        return LocalBroker(home, port=port)
    return LocalCluster(home, nodes, ports=[port + n for n in range(nodes)])


def cmd_broker(args) -> int:
    import dataclasses

    from vigie.shared.kafka import ensure_topics

    broker = _local_broker(args.nodes)
    nodes = getattr(broker, "nodes", [broker])
    if args.action == "start":
        broker.start(fresh=args.fresh)
        settings = dataclasses.replace(_kafka_settings(), kafka_bootstrap=broker.bootstrap,
                                       topic_replicas=min(3, args.nodes))
        ensure_topics(settings)
        print(f"{len(nodes)} node(s) ready on {broker.bootstrap} (logs: "
              f"{', '.join(str(node.log_file) for node in nodes)})")
        if args.nodes > 1:
            print(f"services: VIGIE_KAFKA_BOOTSTRAP={broker.bootstrap} "
                  f"VIGIE_TOPIC_REPLICAS={settings.topic_replicas}")
    elif args.action == "stop":
        print("stopped" if broker.stop() else "nothing was running")
    else:
        pids = {node.bootstrap: node.pid() for node in nodes}
        for address, pid in pids.items():
            print(f"{address}: pid {pid}" if pid else f"{address}: not running")
        return 0 if all(pids.values()) else 1
    return 0


def _reachable_kafka():
    """The Kafka settings, once a Kafka answers there (``vigie.shared.reach``)."""
    from vigie.shared.reach import wait_for_kafka

    settings = _kafka_settings()
    wait_for_kafka(settings)
    return settings


def cmd_topics(args) -> int:
    from vigie.shared.kafka import contract_topics, ensure_topics

    settings = _reachable_kafka()
    ensure_topics(settings)
    for name, partitions in contract_topics(settings).items():
        print(f"{name}: {partitions} partition(s)")
    return 0


def cmd_ingest(args) -> int:
    from vigie.ingest import service
    from vigie.ingest.settings import IngestSettings
    from vigie.shared.config import ConfigError

    settings = IngestSettings.from_env()
    if args.source == "files":
        return service.run_files(settings, args.paths, watch=args.watch)
    if args.source == "feeds":
        feeds = args.feeds or settings.feeds_file
        if not feeds:
            raise ConfigError("name a feed list: vigie ingest feeds FEEDS.yaml (or VIGIE_FEEDS_FILE)")
        if args.status:
            return service.feeds_status(settings, feeds)
        return service.run_feeds(settings, feeds, once=args.once)
    return service.serve(settings)


def cmd_feeds(args) -> int:
    from vigie.ingest.feeds import opml_to_yaml

    text = opml_to_yaml(args.opml)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def cmd_enrich(args) -> int:
    from vigie.enrich.app import main

    return main()


def cmd_alert(args) -> int:
    if args.action == "replay":
        from vigie.alert.app import replay
        from vigie.shared.config import ConfigError

        if not args.rules:
            raise ConfigError("name the rules to replay: vigie alert replay --rules RULES.yaml")

        return replay(args.rules, topic=args.topic, from_beginning=args.from_beginning,
                      vetoed=args.vetoed)
    from vigie.alert.app import main

    return main()


def cmd_notify(args) -> int:
    from vigie.notify.app import main

    return main()


def cmd_subscribe(args) -> int:
    from vigie.alert.subscribe import parse_since, subscribe
    from vigie.shared.filters import Filters

    filters = Filters(
        rules=tuple(args.rule or ()), severities=tuple(args.severity or ()),
        since=parse_since(args.since) if args.since else None,
        statuses=tuple(args.status or ()), places=place_condition(args),
    )
    try:
        subscribe(_reachable_kafka(), args.topic, from_beginning=args.from_beginning,
                  max_messages=args.max, timeout=args.timeout, group=args.group,
                  filters=filters, fmt=args.format)
    except (KeyboardInterrupt, BrokenPipeError):  # Ctrl-C, or piped into `head`
        sys.stderr.close()
    return 0


def place_condition(args):
    """--country, --region and --near as the place condition rules use, or None."""
    from vigie.alert.subscribe import parse_near
    from vigie.shared.filters import PlaceCondition

    if not (args.country or args.region or args.near):
        return None
    return PlaceCondition(frozenset(c.upper() for c in args.country or ()),
                          frozenset(r.upper() for r in args.region or ()),
                          parse_near(args.near, args.radius_km) if args.near else None)


def cmd_dlq(args) -> int:
    from vigie.shared import dlq

    dry_run = args.action == "list"
    count = dlq.replay(_reachable_kafka(), service=args.service, topic=args.topic, dry_run=dry_run)
    print(f"{count} dead letter(s){'' if dry_run else ' sent back to their topics'}")
    return 0


def cmd_run(args) -> int:
    from vigie.local import run_pipeline

    return run_pipeline()


def cmd_schema(args) -> int:
    from vigie.shared import schema

    if args.write:
        for path in schema.write():
            print(path)
        return 0
    stale = [n for n, t in schema.rendered().items()
             if not (schema.SCHEMA_DIR / n).exists()
             or (schema.SCHEMA_DIR / n).read_text(encoding="utf-8") != t]
    for name in stale:
        print(f"out of date: {name} (run: vigie schema --write)")
    return 1 if stale else 0


def cmd_config(args) -> int:
    from vigie.settings_index import all_settings, markdown_table, shown_default

    if args.markdown:
        print(markdown_table())
        return 0
    for name, default, doc, secret in all_settings():
        print(f"{name}={shown_default(default, secret)}\n    {doc}")
    return 0


# Longer than 60 lines, and kept so: a declarative table of the commands and their arguments.
def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="vigie", description=__doc__.splitlines()[0])
    top.add_argument("--debug", action="store_true",
                     help="show the traceback of any failure (as VIGIE_LOG_LEVEL=DEBUG does)")
    sub = top.add_subparsers(dest="command", required=True)

    broker = sub.add_parser("broker", help="the local Kafka (KRaft): one node, or a cluster")
    broker.add_argument("action", choices=["start", "stop", "status"])
    broker.add_argument("--fresh", action="store_true", help="wipe the broker's data first")
    broker.add_argument("--nodes", type=int, default=1,
                        help="nodes (each broker and controller) on the bootstrap port and the"
                             " ports after it; topics get min(3, nodes) replicas")
    broker.set_defaults(func=cmd_broker)

    topics = sub.add_parser("topics", help="create the contract topics where missing")
    topics.add_argument("action", choices=["create"])
    topics.set_defaults(func=cmd_topics)

    ingest = sub.add_parser("ingest", help="publish files and feeds to the raw topic")
    source = ingest.add_subparsers(dest="source", required=True)
    files = source.add_parser("files", help="publish news files (folders or files)")
    files.add_argument("paths", nargs="+")
    files.add_argument("--watch", action="store_true", help="keep publishing new files")
    feeds = source.add_parser("feeds", help="poll RSS/Atom feeds")
    feeds.add_argument("feeds", nargs="?", help="feed list (YAML); default VIGIE_FEEDS_FILE")
    feeds.add_argument("--once", action="store_true", help="fetch every feed once and exit")
    feeds.add_argument("--status", action="store_true",
                       help="print each feed's way in (push or poll), interval and health")
    source.add_parser("serve", help="watch VIGIE_INGEST_WATCH_DIRS and poll VIGIE_FEEDS_FILE")
    ingest.set_defaults(func=cmd_ingest)

    feeds_cmd = sub.add_parser("feeds", help="feed list tools")
    feeds_sub = feeds_cmd.add_subparsers(dest="action", required=True)
    opml = feeds_sub.add_parser("import", help="convert an OPML export to a feed list")
    opml.add_argument("opml")
    opml.add_argument("-o", "--output", help="write here instead of standard output")
    feeds_cmd.set_defaults(func=cmd_feeds)

    sub.add_parser("enrich", help="run an enrich worker").set_defaults(func=cmd_enrich)

    alert = sub.add_parser("alert", help="run an alert worker, or replay rules over history")
    alert.add_argument("action", nargs="?", choices=["run", "replay"], default="run")
    alert.add_argument("--rules", help="rules file for replay")
    alert.add_argument("--topic", default="news.alerts.replay", help="replay output topic")
    alert.add_argument("--from-beginning", action="store_true")
    alert.add_argument("--vetoed", action="store_true",
                       help="replay: also print the matches vetoed as drills, and why")
    alert.set_defaults(func=cmd_alert)

    sub.add_parser("notify", help="run a notify worker: incidents to people, through Apprise"
                   " (VIGIE_NOTIFY_FILE)").set_defaults(func=cmd_notify)

    subscribe = sub.add_parser("subscribe", help="print a topic's messages")
    subscribe.add_argument("topic")
    subscribe.add_argument("--from-beginning", action="store_true")
    subscribe.add_argument("--max", type=int, help="stop after N messages")
    subscribe.add_argument("--timeout", type=float, help="stop after S seconds with no message")
    subscribe.add_argument("--group", help="consumer group: members share the partitions")
    subscribe.add_argument("--rule", action="append", help="only this rule id (repeatable)")
    subscribe.add_argument("--severity", action="append",
                           choices=["info", "warning", "critical"])
    subscribe.add_argument("--since", help="only newer: 30m, 2h, 1d or an ISO time")
    subscribe.add_argument("--status", action="append", choices=["open", "update", "closed"],
                           help="incidents: only this status (repeatable)")
    subscribe.add_argument("--country", action="append",
                           help="only a place in this ISO 3166-1 country, e.g. UA (repeatable)")
    subscribe.add_argument("--region", action="append",
                           help="only a place in this ISO 3166-2 region, e.g. UA-63 (repeatable)")
    subscribe.add_argument("--near", help="only a place near LAT,LON (with --radius-km)")
    subscribe.add_argument("--radius-km", type=float, default=50.0,
                           help="radius of --near (default 50)")
    subscribe.add_argument("--format", choices=["auto", "human", "json"], default="auto")
    subscribe.set_defaults(func=cmd_subscribe)

    dlq = sub.add_parser("dlq", help="list dead letters, or replay them once the cause is fixed")
    dlq.add_argument("action", choices=["list", "replay"])
    dlq.add_argument("--service", help="only letters from this service (enrich, alert …)")
    dlq.add_argument("--topic", help="only letters that came from this topic")
    dlq.set_defaults(func=cmd_dlq)

    sub.add_parser("run", help="the whole pipeline locally, until Ctrl-C").set_defaults(
        func=cmd_run)

    schema = sub.add_parser("schema", help="check (or --write) the JSON Schema files")
    schema.add_argument("--write", action="store_true")
    schema.set_defaults(func=cmd_schema)

    config = sub.add_parser("config", help="list every VIGIE_* variable with its default")
    config.add_argument("--markdown", action="store_true", help="as a Markdown table")
    config.set_defaults(func=cmd_config)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - every failure ends in a report, see _report
        debug = args.debug or os.environ.get("VIGIE_LOG_LEVEL", "").upper() == "DEBUG"
        return _report(exc, debug)


def _report(exc: Exception, debug: bool) -> int:
    """An expected failure (Vigie's own errors, the system's, Kafka's) is one message and
    status 2, its traceback only with ``debug``; anything else is a bug: its traceback, a
    line saying so, and status 1."""
    from kafka.errors import KafkaError

    expected = isinstance(exc, (VigieError, OSError, KafkaError))
    if debug or not expected:
        traceback.print_exc()
    if not expected:
        print("vigie: this is a bug in Vigie (the traceback above shows where); please report"
              " it with that traceback", file=sys.stderr)
        return 1
    print(f"vigie: {_described(exc)}", file=sys.stderr)
    return 2


def _described(exc: Exception) -> str:
    from kafka.errors import KafkaError

    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
    if isinstance(exc, KafkaError):
        return f"Kafka: {exc}"
    return str(exc)


if __name__ == "__main__":
    sys.exit(main())
