from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from speciosa.accounts.models import ApiToken, Membership, Program, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Speciosa", {"fields": ("display_name", "credentials")}),
    )


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "timezone"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "user", "scope", "expires_at", "revoked_at"]
    readonly_fields = ["token_hash", "prefix", "last_used_at"]
