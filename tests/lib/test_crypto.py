"""The keys that protect ID numbers at rest: encryption, rotation, keyed hashes, configuration."""

import os
import stat
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from jiedao.lib import crypto
from tests.factories import valid_id_number

NUMBER = valid_id_number("19500101", 106)  # 31010619500101106X


def test_an_id_number_comes_back_from_its_token_and_the_token_shows_nothing_of_it(settings):
    token = crypto.encrypt(NUMBER)
    assert crypto.decrypt(token) == NUMBER
    assert NUMBER not in token and NUMBER[-4:] not in token
    # A fresh token every time: equal numbers cannot be spotted by equal tokens.
    assert crypto.encrypt(NUMBER) != token


def test_an_old_key_still_decrypts_after_a_new_one_is_put_first_and_rotation_moves_tokens_to_it(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.JIEDAO_ID_KEYS = [old]
    token = crypto.encrypt(NUMBER)
    assert crypto.is_current(token)

    settings.JIEDAO_ID_KEYS = [new, old]
    assert crypto.decrypt(token) == NUMBER
    assert not crypto.is_current(token)
    rotated = crypto.rotate(token)
    assert crypto.is_current(rotated)

    settings.JIEDAO_ID_KEYS = [new]  # the old key retired
    assert crypto.decrypt(rotated) == NUMBER
    with pytest.raises(crypto.InvalidToken):
        crypto.decrypt(token)


def test_keyed_hashes_change_with_the_key_and_full_numbers_never_equal_last_digits(settings):
    first = crypto.id_hash(NUMBER)
    assert first == crypto.id_hash(NUMBER.lower())  # a typed lowercase x is the same person
    assert crypto.last4_hash("106X") == crypto.last4_hash("106x")
    assert crypto.last4_hash("106X") != crypto.id_hash("106X")
    settings.JIEDAO_ID_HASH_KEY = "another-hash-key-of-at-least-32-characters"
    assert crypto.id_hash(NUMBER) != first


def test_a_malformed_key_is_a_configuration_error_not_a_crash_later(settings):
    settings.JIEDAO_ID_KEYS = ["not-a-fernet-key"]
    with pytest.raises(ImproperlyConfigured, match="JIEDAO_ID_KEYS"):
        crypto.encrypt(NUMBER)
    settings.JIEDAO_ID_KEYS = [Fernet.generate_key().decode()]
    settings.JIEDAO_ID_HASH_KEY = "short"
    with pytest.raises(ImproperlyConfigured, match="JIEDAO_ID_HASH_KEY"):
        crypto.id_hash(NUMBER)


def _settings_in_a_fresh_process(tmp_path, **env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("JIEDAO_") and k != "DATABASE_URL"}
    environment.update({"JIEDAO_DATA_DIR": str(tmp_path), **env})
    code = "from jiedao import settings; print(','.join(settings.JIEDAO_ID_KEYS)); print(settings.JIEDAO_ID_HASH_KEY)"
    return subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True, timeout=60)


def test_production_refuses_to_start_without_the_id_keys(tmp_path):
    production = {"JIEDAO_ENV": "production", "JIEDAO_SECRET_KEY": "x" * 50, "JIEDAO_ALLOWED_HOSTS": "example.org"}
    result = _settings_in_a_fresh_process(tmp_path, **production)
    assert result.returncode != 0 and "JIEDAO_ID_KEYS must be set" in result.stderr
    key = Fernet.generate_key().decode()
    result = _settings_in_a_fresh_process(tmp_path, JIEDAO_ID_KEYS=key, **production)
    assert result.returncode != 0 and "JIEDAO_ID_HASH_KEY must be set" in result.stderr
    result = _settings_in_a_fresh_process(tmp_path, JIEDAO_ID_KEYS=key, JIEDAO_ID_HASH_KEY="h" * 40, **production)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "id_keys").exists()  # production never writes keys to disk


def test_the_demo_generates_its_keys_once_readable_by_the_owner_only(tmp_path):
    first = _settings_in_a_fresh_process(tmp_path)
    assert first.returncode == 0, first.stderr
    for name in ("id_keys", "id_hash_key"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
    again = _settings_in_a_fresh_process(tmp_path)
    assert again.stdout == first.stdout
    Fernet(first.stdout.splitlines()[0].encode())  # a valid Fernet key


@pytest.mark.django_db
def test_empty_answers_are_stored_empty_and_others_as_a_token(programme):
    from django.db import connection

    from jiedao.intake.models import Draft

    def stored(draft) -> str:
        with connection.cursor() as cursor:
            key = draft.pk.hex if connection.vendor == "sqlite" else draft.pk  # SQLite keeps UUIDs as hex
            cursor.execute("SELECT answers FROM intake_draft WHERE id = %s", [key])
            return cursor.fetchone()[0]

    empty = Draft.objects.create(programme=programme)
    filled = Draft.objects.create(programme=programme, answers={"name": "王秀英"})
    assert stored(empty) == ""
    assert stored(filled) and "王秀英" not in stored(filled)
    assert Draft.objects.get(pk=empty.pk).answers == {} and Draft.objects.get(pk=filled.pk).answers == {"name": "王秀英"}
