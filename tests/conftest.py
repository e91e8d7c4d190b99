"""Shared fixtures: two programs and named actors of every role.

``prescriber``/``nurse``/``counsellor``/``director``/``researcher``/``admin_user`` belong to
``program``; ``outsider`` is a prescriber of ``other_program`` and must never see
``patient``.
"""

import pytest

from speciosa.accounts.models import Role
from tests.factories import make_patient, make_program, make_user


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # argon2 is deliberate in production; tests only need *a* hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AXES_ENABLED = False


@pytest.fixture
def program(db):
    return make_program("alpha", "Alpha Recovery")


@pytest.fixture
def other_program(db):
    return make_program("beta", "Beta Treatment")


@pytest.fixture
def prescriber(program):
    return make_user(program, Role.PRESCRIBER, "priya")


@pytest.fixture
def nurse(program):
    return make_user(program, Role.NURSE, "nate")


@pytest.fixture
def counsellor(program):
    return make_user(program, Role.COUNSELLOR, "cam")


@pytest.fixture
def director(program):
    return make_user(program, Role.PROGRAM_DIRECTOR, "dana")


@pytest.fixture
def researcher(program):
    return make_user(program, Role.RESEARCHER, "rae")


@pytest.fixture
def admin_user(program):
    return make_user(program, Role.ADMINISTRATOR, "ada")


@pytest.fixture
def outsider(other_program):
    return make_user(other_program, Role.PRESCRIBER, "oscar")


@pytest.fixture
def patient(program):
    return make_patient(program, given_name="Alex", family_name="Rivera", mrn="A0001")


@pytest.fixture
def other_patient(other_program):
    return make_patient(other_program, given_name="Blake", family_name="Stone", mrn="B0001")


@pytest.fixture
def api_client(client, prescriber):
    client.force_login(prescriber)
    return client
