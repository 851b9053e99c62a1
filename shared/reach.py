"""Reaching Kafka at start: wait for it, say so, and say what is wrong when it does not answer.

Every command that talks to Kafka calls ``wait_for_kafka`` once it has checked its own inputs.
The wait is announced at once (within a second at most), repeated with the time waited, and
given up after ``VIGIE_KAFKA_CONNECT_TIMEOUT_S`` with ``KafkaUnreachable``: the address, the
variable, why, and the likely fixes. What no wait mends, an untrusted certificate or a refused
login, ends it at the first attempt, named as such.

Each attempt connects to every bootstrap address (why not: refused, no such host, no answer),
then shakes hands over TLS for the SSL protocols, then bootstraps a kafka-python client, which
proves a Kafka answers there and lets this client in.
"""

from __future__ import annotations

import logging
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable

from kafka import KafkaAdminClient
from kafka.errors import KafkaError, SaslAuthenticationFailedError, UnsupportedSaslMechanismError

from .config import KafkaSettings
from .errors import VigieError
from .kafka import client_options, ssl_context

BOOTSTRAP = "VIGIE_KAFKA_BOOTSTRAP"
ANNOUNCE_WITHIN_S = 1.0
REPEAT_EVERY_S = 10.0
RETRY_EVERY_S = 0.5
# How long the first attempt may take; each failed one doubles it, up to MAX_ATTEMPT_S: a
# broker that is starting or starved of CPU answers late, and a SASL_SSL login takes several
# round trips. (With a fixed 3 s, a busy broker's refusal of a wrong password was never seen.)
ATTEMPT_S = 3.0
MAX_ATTEMPT_S = 24.0
FIXES = (
    "  - to run Kafka on this machine: `make run` (the whole pipeline) or `vigie broker start`\n"
    f"  - or set {BOOTSTRAP} to the host:port your Kafka listens on (is the port right?)\n"
    "  - VIGIE_KAFKA_CONNECT_TIMEOUT_S sets how long to wait"
)


class KafkaUnreachable(VigieError):
    """No Kafka answered in time, or it could not be trusted, or it refused the login."""


def wait_for_kafka(settings: KafkaSettings, say: Callable[[str], None] | None = None) -> None:
    """Return once a Kafka answers at the bootstrap address (see the module)."""
    say = say or _say
    context = ssl_context(settings)  # an unreadable CA or key file is a setting to fix first
    where = f"Kafka at {settings.kafka_bootstrap} ({BOOTSTRAP})"
    deadline = time.monotonic() + settings.kafka_connect_timeout_s
    attempt_s = ATTEMPT_S
    with _Announcer(where, say) as announcer:
        while (why := _attempt(settings, context, deadline, attempt_s)) is not None:
            announcer.now()
            attempt_s = min(2 * attempt_s, MAX_ATTEMPT_S)
            if time.monotonic() >= deadline:
                raise KafkaUnreachable(
                    f"no Kafka answered at {settings.kafka_bootstrap} ({BOOTSTRAP}) within"
                    f" {settings.kafka_connect_timeout_s:g} s: {why}\n{FIXES}")
            time.sleep(min(RETRY_EVERY_S, max(0.0, deadline - time.monotonic())))
    if announcer.announced:
        say(f"{where} answers")


def _say(line: str) -> None:
    print(f"vigie: {line}", file=sys.stderr, flush=True)


def _attempt(settings: KafkaSettings, context: ssl.SSLContext | None, deadline: float,
             attempt_s: float) -> str | None:
    """None once Kafka answers; else why not yet. Raises ``KafkaUnreachable`` for what no
    wait mends."""
    timeout = max(RETRY_EVERY_S, min(attempt_s, deadline - time.monotonic()))
    refusals = {address: _connect(address, context, timeout)
                for address in settings.bootstrap_addresses}
    accepting = [address for address, why in refusals.items() if why is None]
    if not accepting:
        return "; ".join(refusals.values())
    return _bootstrap(settings, accepting, context, timeout)


def _bootstrap(settings: KafkaSettings, accepting: list[tuple[str, int]],
               context: ssl.SSLContext | None, timeout: float) -> str | None:
    """None once a client bootstraps from the addresses that take connections; else why not
    yet, or ``KafkaUnreachable`` for what no wait mends."""
    with _LoginWatch() as login:
        try:
            KafkaAdminClient(**client_options(settings),
                             bootstrap_timeout_ms=int(timeout * 1000)).close()
            return None
        except KafkaError:
            pass
    if login.refusal is not None:
        raise KafkaUnreachable(_refused(settings, login.refusal))
    shown = ", ".join(f"{host}:{port}" for host, port in accepting)
    if context is None and _speaks_tls(accepting[0], timeout):
        raise KafkaUnreachable(
            f"Kafka at {shown} speaks TLS, and VIGIE_KAFKA_SECURITY_PROTOCOL is"
            f" {settings.kafka_security_protocol}\n  - set it to SSL or SASL_SSL, as the"
            " listener is configured")
    return (f"{shown} accepts connections but does not answer as Kafka over"
            f" {settings.kafka_security_protocol} (is it a Kafka listener, still starting? is"
            " VIGIE_KAFKA_SECURITY_PROTOCOL right?)")


def _refused(settings: KafkaSettings, refusal: KafkaError) -> str:
    mechanism = settings.kafka_sasl_mechanism or "SCRAM-SHA-512"
    if isinstance(refusal, UnsupportedSaslMechanismError):
        return (f"Kafka at {settings.kafka_bootstrap} does not offer the SASL mechanism"
                f" {mechanism}\n  - set VIGIE_KAFKA_SASL_MECHANISM to one it offers")
    told = str(refusal.args[0]).removeprefix(f"{type(refusal).__name__}: ") if refusal.args else ""
    return (f"Kafka at {settings.kafka_bootstrap} refused the login of"
            f" {settings.kafka_sasl_username!r} (SASL {mechanism}){': ' + told if told else ''}"
            "\n  - check VIGIE_KAFKA_SASL_USERNAME and VIGIE_KAFKA_SASL_PASSWORD")


def _speaks_tls(address: tuple[str, int], timeout: float) -> bool:
    """Does ``address`` complete a TLS handshake? (A plaintext listener never does.)"""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # TLS or not, no trust
    try:
        with socket.create_connection(address, timeout=timeout) as sock:
            context.wrap_socket(sock).close()
        return True
    except OSError:
        return False


def _connect(address: tuple[str, int], context: ssl.SSLContext | None,
             timeout: float) -> str | None:
    """Why ``address`` takes no connection (None if it does), after a TLS handshake with
    ``context`` if there is one."""
    host, port = address
    try:
        with socket.create_connection(address, timeout=timeout) as sock:
            if context is not None:
                _handshake(sock, address, context)
        return None
    except socket.gaierror:
        return f"{host}: no such host"
    except ConnectionRefusedError:
        return f"{host}:{port}: connection refused (nothing listens on port {port})"
    except TimeoutError:
        return f"{host}:{port}: no answer (a firewall, or a host that is down?)"
    except OSError as exc:
        return f"{host}:{port}: {exc.strerror or exc}"


def _handshake(sock: socket.socket, address: tuple[str, int], context: ssl.SSLContext) -> None:
    """Raises ``KafkaUnreachable`` for a certificate or a handshake no wait mends, OSError for
    a connection closed meanwhile (a broker stopping or starting, or a listener without TLS)."""
    host, port = address
    try:
        context.wrap_socket(sock, server_hostname=host).close()
    except ssl.SSLCertVerificationError as exc:
        raise KafkaUnreachable(
            f"the TLS certificate of Kafka at {host}:{port} is not trusted: {exc.verify_message}"
            "\n  - VIGIE_KAFKA_SSL_CAFILE must name the CA that signed it (the system's CAs are"
            " used without one)") from None
    except (ssl.SSLEOFError, ssl.SSLZeroReturnError):
        raise ConnectionError("the connection closed during the TLS handshake (does that listener"
                              " speak TLS?)") from None
    except ssl.SSLError as exc:
        raise KafkaUnreachable(
            f"the TLS handshake with {host}:{port} failed: {exc.reason or exc}\n  - does that"
            " listener speak TLS? VIGIE_KAFKA_SECURITY_PROTOCOL (PLAINTEXT, SSL, SASL_PLAINTEXT"
            " or SASL_SSL) must be the listener's") from None


class _LoginWatch(logging.Handler):
    """kafka-python retries a refused SASL login until its bootstrap times out, and only its
    log says why: this keeps the refusal it logs, so the wait can name it.

    kafka-python (3.0.12) drops an answer it reads together with the connection's close. A
    broker closes 0.1 s after a refusal (``connection.failed.authentication.delay.ms``), so
    only a client kept from reading that long misses it; each later connection may still see
    it, and if none does the wait ends as "does not answer", never silently."""

    REFUSALS = (SaslAuthenticationFailedError, UnsupportedSaslMechanismError)

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.refusal: KafkaError | None = None

    def emit(self, record: logging.LogRecord) -> None:
        arguments = record.args if isinstance(record.args, tuple) else ()
        self.refusal = next((a for a in arguments if isinstance(a, self.REFUSALS)), self.refusal)

    def __enter__(self) -> _LoginWatch:
        logging.getLogger("kafka").addHandler(self)
        return self

    def __exit__(self, *exc) -> None:
        logging.getLogger("kafka").removeHandler(self)


class _Announcer:
    """Says what the command waits for, at the first failed attempt (``now``) or after
    ``ANNOUNCE_WITHIN_S``, whichever comes first, then every ``REPEAT_EVERY_S``."""

    def __init__(self, what: str, say: Callable[[str], None]) -> None:
        self.what, self.say = what, say
        self.announced = False
        self._started = time.monotonic()
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._repeat, name="kafka-wait", daemon=True)

    def __enter__(self) -> _Announcer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()

    def now(self) -> None:
        with self._lock:
            if not self.announced:
                self.announced = True
                self.say(f"waiting for {self.what}…")

    def _repeat(self) -> None:
        if self._done.wait(ANNOUNCE_WITHIN_S):
            return
        self.now()
        while not self._done.wait(REPEAT_EVERY_S):
            self.say(f"still waiting for {self.what}:"
                     f" {time.monotonic() - self._started:.0f} s…")
