import pytest

from vigie.settings_index import all_settings, settings_classes
from vigie.shared.config import ConfigError, KafkaSettings


def test_settings_come_from_vigie_environment_variables():
    settings = KafkaSettings.from_env({"VIGIE_KAFKA_BOOTSTRAP": "10.0.0.1:9093",
                                       "VIGIE_TOPIC_PARTITIONS": "8"})
    assert settings.kafka_bootstrap == "10.0.0.1:9093"
    assert settings.topic_partitions == 8
    assert KafkaSettings.from_env({}).kafka_bootstrap == "127.0.0.1:9092"


def test_a_bad_value_names_the_variable():
    with pytest.raises(ConfigError, match="VIGIE_TOPIC_PARTITIONS"):
        KafkaSettings.from_env({"VIGIE_TOPIC_PARTITIONS": "many"})


def test_secrets_are_never_printed():
    settings = KafkaSettings.from_env({"VIGIE_KAFKA_SASL_PASSWORD": "hunter2"})
    assert "hunter2" not in repr(settings) and "hunter2" not in str(settings)
    assert settings.kafka_sasl_password == "hunter2"


def test_every_setting_is_documented_and_prefixed():
    names = [name for name, _, doc, _ in all_settings()]
    assert len(names) == len(set(names))
    for name, _, doc, _ in all_settings():
        assert name.startswith("VIGIE_") and name.isupper()
        assert doc.strip(), f"{name} has no documentation"
    assert set(settings_classes()) == {"ingest", "enrich", "alert", "notify"}


def test_bootstrap_addresses_are_read_as_kafka_clients_read_them():
    settings = KafkaSettings.from_env({"VIGIE_KAFKA_BOOTSTRAP": "kafka:9093, broker-2,[::1]:9094"})
    assert settings.bootstrap_addresses == [("kafka", 9093), ("broker-2", 9092), ("::1", 9094)]


@pytest.mark.parametrize(("env", "named"), [
    ({"VIGIE_KAFKA_BOOTSTRAP": "127.0.0.1:kafka"}, "VIGIE_KAFKA_BOOTSTRAP"),
    ({"VIGIE_KAFKA_BOOTSTRAP": "127.0.0.1:90920"}, "VIGIE_KAFKA_BOOTSTRAP"),
    ({"VIGIE_KAFKA_SECURITY_PROTOCOL": "TLS"}, "VIGIE_KAFKA_SECURITY_PROTOCOL"),
    ({"VIGIE_KAFKA_SECURITY_PROTOCOL": "SASL_SSL"}, "VIGIE_KAFKA_SASL_PASSWORD"),
    ({"VIGIE_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "VIGIE_KAFKA_SASL_USERNAME": "u",
      "VIGIE_KAFKA_SASL_PASSWORD": "p", "VIGIE_KAFKA_SASL_MECHANISM": "MD5"},
     "VIGIE_KAFKA_SASL_MECHANISM"),
    ({"VIGIE_KAFKA_CONNECT_TIMEOUT_S": "0"}, "VIGIE_KAFKA_CONNECT_TIMEOUT_S"),
    ({"VIGIE_LOG_LEVEL": "loud"}, "VIGIE_LOG_LEVEL"),
    ({"VIGIE_LOG_FORMAT": "xml"}, "VIGIE_LOG_FORMAT"),
])
def test_a_value_no_client_could_use_is_refused_at_once(env, named):
    with pytest.raises(ConfigError, match=named):
        KafkaSettings.from_env(env)
