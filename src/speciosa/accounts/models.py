"""Users, programs (sites) and role memberships per program."""

import hashlib
import secrets
import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.timezone import now


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", "Administrator"
    PROGRAM_DIRECTOR = "program_director", "Program director"
    PRESCRIBER = "prescriber", "Prescriber"
    NURSE = "nurse", "Nurse"
    COUNSELLOR = "counsellor", "Counsellor"
    RESEARCHER = "researcher", "Researcher"


# Roles that provide or oversee care and therefore read identified charts of their
# programs. Administrators manage accounts and the audit trail, not charts; researchers
# see consented study subjects only (see accounts/permissions.py).
CLINICAL_ROLES = frozenset({Role.PROGRAM_DIRECTOR, Role.PRESCRIBER, Role.NURSE, Role.COUNSELLOR})


class User(AbstractUser):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    display_name = models.CharField(max_length=200, blank=True)
    credentials = models.CharField(max_length=60, blank=True, help_text="e.g. MD, RN, LCSW")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username


class Program(models.Model):
    """A treatment organisation or site. Every clinical record belongs to one."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    timezone = models.CharField(max_length=60, default="America/New_York")
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=30, choices=Role.choices)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "program", "role"], name="membership_unique_user_program_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} @ {self.program}"


class ApiToken(models.Model):
    """Bearer token for the JSON and FHIR APIs. Only a SHA-256 of the secret is stored."""

    class Scope(models.TextChoices):
        READ = "read", "Read"
        READ_WRITE = "read_write", "Read and write"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="Client application or purpose")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=12, editable=False)
    scope = models.CharField(max_length=20, choices=Scope.choices, default=Scope.READ)
    programs = models.ManyToManyField(Program, blank=True, related_name="+")
    is_external_client = models.BooleanField(
        default=False, help_text="A system outside the program (disclosures need consent)"
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_secret(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    @classmethod
    def issue(
        cls, *, user: User, name: str, scope: str = Scope.READ, **fields
    ) -> tuple["ApiToken", str]:
        """Create a token and return it with its one-time plain secret."""
        secret = "spc_" + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            name=name,
            scope=scope,
            token_hash=cls.hash_secret(secret),
            prefix=secret[:10],
            **fields,
        )
        return token, secret

    @property
    def is_usable(self) -> bool:
        current = now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > current)
