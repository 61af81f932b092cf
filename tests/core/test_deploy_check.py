"""`jiedao check --deploy --fail-level WARNING` passes with production settings.

What it protects: production is configured safely by default (HTTPS-only cookies, the SSL
redirect, HSTS, a strong secret key, DEBUG off…), so an installation that sets only the required
variables does not run with a weakness Django itself knows how to spot. CI runs the same check
as a step of its own (.ci/run).
"""

import base64
import os
import secrets
import subprocess
import sys

import pytest


def production_env(tmp_path, **extra) -> dict[str, str]:
    # Nothing of the test run leaks in (DJANGO_ALLOW_ASYNC_UNSAFE from the browser tests would
    # itself fail the check): only the variables a production installation would set.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("JIEDAO_", "DJANGO_")) and key != "DATABASE_URL"
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "jiedao.settings",
            "JIEDAO_ENV": "production",
            "JIEDAO_SECRET_KEY": secrets.token_urlsafe(60),
            "JIEDAO_ALLOWED_HOSTS": "jiedao.example.gov.cn",
            "JIEDAO_CSRF_TRUSTED_ORIGINS": "https://jiedao.example.gov.cn",
            "JIEDAO_ID_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            "JIEDAO_ID_HASH_KEY": secrets.token_urlsafe(32),
            "JIEDAO_DATA_DIR": str(tmp_path / "data"),
            **extra,
        }
    )
    return env


def deploy_check(env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "jiedao", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,  # the exit status is what the tests look at
    )


def test_production_settings_pass_the_deploy_check(tmp_path):
    result = deploy_check(production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "extra, warning",
    [
        ({"JIEDAO_SSL_REDIRECT": "0"}, "security.W008"),
        ({"JIEDAO_DEBUG": "1"}, "security.W018"),
        ({"JIEDAO_SECRET_KEY": "short"}, "security.W009"),
    ],
)
def test_the_deploy_check_fails_on_a_weakened_production(tmp_path, extra, warning):
    # The check is only worth running in CI if it does fail: each weakening is caught.
    result = deploy_check(production_env(tmp_path, **extra))
    assert result.returncode != 0
    assert warning in result.stdout + result.stderr
