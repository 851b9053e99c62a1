""".env.example documents every variable, and is the one the generator writes today."""

from __future__ import annotations

import re

from vigie.settings_index import all_settings

from .catalog import COMPOSE_FILE, COMPOSE_VARIABLES, ENV_EXAMPLE, env_example, substitutions


def test_env_example_is_up_to_date():
    assert ENV_EXAMPLE.read_text(encoding="utf-8") == env_example(), (
        "regenerate: python -m tests.deploy.catalog env > .env.example")


def test_every_variable_is_documented():
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    named = set(re.findall(r"\b([A-Z][A-Z0-9_]+)(?==| is fixed)", text))
    for name, *_ in all_settings():
        assert name in named, name
    used = substitutions(COMPOSE_FILE.read_text(encoding="utf-8"))
    for name in used:
        assert name in named, name
        assert name.startswith("VIGIE_") or name in COMPOSE_VARIABLES, name


def test_no_secret_default_is_written():
    secrets = {name for name, _d, _doc, secret in all_settings() if secret}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        name, _, value = line.lstrip("# ").partition("=")
        if name in secrets:
            assert value == "", line
