"""Code shared by every Vigie service: contracts, settings, Kafka plumbing, metrics, logs."""
