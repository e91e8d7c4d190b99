"""Login hardening: lockout after repeated failures, optional TOTP, session expiry,
secure cookies and headers, and a clean ``manage.py check --deploy`` in production."""

import os
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from speciosa.accounts.models import Role
from tests.factories import make_user

PASSWORD = "correct-horse-battery-staple"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def staff(program):
    user = make_user(program, Role.ADMINISTRATOR, "stella")
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


def login(client, username, password=PASSWORD, **extra):
    return client.post("/login/", {"username": username, "password": password, **extra})


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"


def test_five_failures_lock_out_even_the_right_password(client, prescriber, settings):
    settings.AXES_ENABLED = True
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, prescriber.username, "wrong-password-123").status_code == 200
    assert login(client, prescriber.username, "wrong-password-123").status_code == 429
    response = login(client, prescriber.username)
    assert response.status_code == 429
    assert not is_logged_in(client)


def test_lockout_does_not_block_another_account(client, prescriber, nurse, settings):
    settings.AXES_ENABLED = True
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, prescriber.username, "wrong-password-123")
    response = login(client, nurse.username)
    assert response.status_code == 302
    assert is_logged_in(client)


def test_a_success_before_the_limit_resets_the_count(client, prescriber, settings):
    settings.AXES_ENABLED = True
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, prescriber.username, "wrong-password-123")
    assert login(client, prescriber.username).status_code == 302


def test_password_alone_logs_in_a_user_without_an_authenticator(client, staff):
    assert login(client, staff.username).status_code == 302
    assert is_logged_in(client)


def test_enrolled_staff_without_a_code_is_refused(client, staff):
    TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    response = login(client, staff.username)
    assert response.status_code == 200
    assert "otp_required" in {e.code for e in response.context["form"].non_field_errors().data}
    assert not is_logged_in(client)


def test_enrolled_staff_with_a_wrong_code_is_refused(client, staff):
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    wrong = f"{(int(current_code(device)) + 500000) % 1000000:06d}"
    assert login(client, staff.username, otp_token=wrong).status_code == 200
    assert not is_logged_in(client)


def test_enrolled_staff_with_the_current_code_is_verified(client, staff):
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    response = login(client, staff.username, otp_token=current_code(device))
    assert response.status_code == 302
    assert client.session.get("otp_device_id") == device.persistent_id


def test_idle_session_expires_after_the_configured_age(client, prescriber, settings):
    assert settings.SESSION_COOKIE_AGE <= 60 * 60  # clinicians share workstations
    login(client, prescriber.username)
    session = Session.objects.get(session_key=client.session.session_key)
    assert session.expire_date <= timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_pages_send_csp_and_security_headers(client, prescriber):
    client.force_login(prescriber)
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def production_env(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DEBUG"))}
    env.update(
        SPECIOSA_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="speciosa.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        DJANGO_SETTINGS_MODULE="speciosa.settings",
    )
    return env


def test_check_deploy_is_clean_in_production(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_a_short_secret_key(tmp_path):
    env = production_env(tmp_path) | {"SECRET_KEY": "too-short"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be at least 50 characters" in result.stderr


PRODUCTION_PROBE = """
import django
django.setup()
from django.conf import settings
from django.test import Client
r = Client().get("/healthz", secure=True, HTTP_HOST="speciosa.example.org")
plain = Client().get("/healthz", HTTP_HOST="speciosa.example.org")
print(r.status_code, plain.status_code, plain.get("Location", ""))
print(r["Strict-Transport-Security"])
print(r["Content-Security-Policy"])
print(settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, settings.DEBUG)
"""


def test_production_sends_hsts_csp_and_redirects_to_https(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE],
        cwd=ROOT,
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    status, hsts, csp, cookies = result.stdout.strip().splitlines()
    assert status.split()[:2] == ["200", "301"]
    assert status.split()[2].startswith("https://")
    assert "max-age=31536000" in hsts and "includeSubDomains" in hsts
    assert "default-src 'self'" in csp
    assert cookies == "True True False"
