"""A broker that demands a password: SASL_SSL with SCRAM-SHA-512, and ACLs.

Clients connect over TLS (the broker's key and certificate chain from PEM files) and log in
with SCRAM-SHA-512; the users and their salted credentials are written into the KRaft metadata
when the storage is formatted, so they exist before the first login. KRaft's
StandardAuthorizer then allows only what an ACL grants (no ACL, no access):

- ``admin`` is the super user the broker itself logs in as between its listeners;
- the pipeline's principal may use every topic and consumer group, and create topics
  (ingest, enrich and alert, their internal and state topics, the dead letters);
- a subscriber may only read the alerts and incidents topics and use the consumer groups that
  start with its own name.

The controller listener stays PLAINTEXT on 127.0.0.1, whose unauthenticated principal
(``User:ANONYMOUS``) the controller must trust for the broker's own requests: a cluster
reachable from other hosts puts that listener on a private network or behind mutual TLS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

MECHANISM = "SCRAM-SHA-512"
ADMIN = "admin"


@dataclass(frozen=True)
class Security:
    keystore: Path  # PEM: the broker's private key (PKCS#8), then its certificate chain
    truststore: Path  # PEM: the CA that signed it (the broker is its own client between
                      # its listeners)
    users: dict[str, str] = field(default_factory=dict)  # SCRAM user → password, admin included

    def listener_properties(self, port: int, controller_port: int) -> list[str]:
        login = (f'org.apache.kafka.common.security.scram.ScramLoginModule required '
                 f'username="{ADMIN}" password="{self.users[ADMIN]}";')
        return [
            f"listeners=SASL_SSL://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
            f"advertised.listeners=SASL_SSL://127.0.0.1:{port}",
            "inter.broker.listener.name=SASL_SSL",
            "listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT",
            f"sasl.enabled.mechanisms={MECHANISM}",
            f"sasl.mechanism.inter.broker.protocol={MECHANISM}",
            f"listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config={login}",
            "ssl.keystore.type=PEM",
            f"ssl.keystore.location={self.keystore}",
            "ssl.truststore.type=PEM",
            f"ssl.truststore.location={self.truststore}",
            "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            f"super.users=User:{ADMIN};User:ANONYMOUS",
            "allow.everyone.if.no.acl.found=false",
        ]

    def format_arguments(self) -> list[str]:
        """``kafka-storage format`` arguments that create the users."""
        return [argument for name, password in self.users.items()
                for argument in ("--add-scram", f"{MECHANISM}=[name={name},password={password}]")]


def pipeline_acls(principal: str) -> list:
    """What Vigie's services need: every topic and group, and creating topics."""
    from kafka.admin import ACL, ACLOperation, ACLPermissionType, ResourcePattern, ResourceType

    def allow(operation, resource_type, name):
        return ACL(f"User:{principal}", "*", operation, ACLPermissionType.ALLOW,
                   ResourcePattern(resource_type, name))

    return [allow(ACLOperation.ALL, ResourceType.TOPIC, "*"),
            allow(ACLOperation.ALL, ResourceType.GROUP, "*"),
            allow(ACLOperation.CREATE, ResourceType.CLUSTER, "kafka-cluster"),
            allow(ACLOperation.DESCRIBE, ResourceType.CLUSTER, "kafka-cluster"),
            allow(ACLOperation.IDEMPOTENT_WRITE, ResourceType.CLUSTER, "kafka-cluster")]


def subscriber_acls(principal: str, topics: list[str]) -> list:
    """Read ``topics`` (the alerts and incidents), with groups named after the principal."""
    from kafka.admin import (
        ACL,
        ACLOperation,
        ACLPermissionType,
        ACLResourcePatternType,
        ResourcePattern,
        ResourceType,
    )

    user = f"User:{principal}"
    grants = [ACL(user, "*", operation, ACLPermissionType.ALLOW,
                  ResourcePattern(ResourceType.TOPIC, topic))
              for topic in topics for operation in (ACLOperation.READ, ACLOperation.DESCRIBE)]
    groups = ResourcePattern(ResourceType.GROUP, principal, ACLResourcePatternType.PREFIXED)
    return [*grants, ACL(user, "*", ACLOperation.READ, ACLPermissionType.ALLOW, groups)]
