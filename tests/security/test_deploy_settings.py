"""Production settings pass Django's deployment checks; the local default stays plain http."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

pytestmark = pytest.mark.subprocess

REPO = Path(__file__).resolve().parents[2]

PRINT_SETTINGS = """
import json
from django.conf import settings
names = ["DEBUG", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE",
         "CSRF_COOKIE_SECURE", "SECURE_PROXY_SSL_HEADER"]
print(json.dumps({name: getattr(settings, name) for name in names}))
"""


def manage(tmp_path, *args, **env) -> subprocess.CompletedProcess:
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS") and not name.startswith("SECURE_")
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="playground.settings",
        PLAYGROUND_DATA_DIR=str(tmp_path),
        PLAYGROUND_LOCAL_MODEL="off",
        **env,
    )
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def production(**overrides) -> dict[str, str]:
    """The environment README's Production section documents."""
    return {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "PLAYGROUND_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "playground.example.com",
        "CSRF_TRUSTED_ORIGINS": "https://playground.example.com",
        **overrides,
    }


def settings_in(tmp_path, **env) -> dict:
    result = manage(tmp_path, "shell", "-c", PRINT_SETTINGS, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_production_settings_pass_the_deployment_checks(tmp_path):
    result = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **production())

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues (0 silenced)." in output
    assert "WARNING" not in output


def test_the_local_default_serves_plain_http(tmp_path):
    local = settings_in(tmp_path)

    assert local["DEBUG"] is True
    assert local["SECURE_SSL_REDIRECT"] is False
    assert local["SECURE_HSTS_SECONDS"] == 0
    assert local["SESSION_COOKIE_SECURE"] is False
    assert local["CSRF_COOKIE_SECURE"] is False


def test_production_is_https_only(tmp_path):
    served = settings_in(tmp_path, **production())

    assert served["SECURE_SSL_REDIRECT"] is True
    assert served["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert served["SESSION_COOKIE_SECURE"] is True
    assert served["CSRF_COOKIE_SECURE"] is True


def test_the_proxys_https_header_is_named_by_the_environment(tmp_path):
    served = settings_in(tmp_path, **production(SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto"))

    assert served["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_behind_trusted_proxies_their_x_forwarded_proto_says_https(tmp_path):
    served = settings_in(tmp_path, **production(PLAYGROUND_TRUSTED_PROXIES="10.9.0.1"))

    assert served["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_no_https_header_is_believed_by_default(tmp_path):
    assert settings_in(tmp_path, **production())["SECURE_PROXY_SSL_HEADER"] is None
