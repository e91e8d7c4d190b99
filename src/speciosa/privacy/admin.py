from django.contrib import admin

from speciosa.privacy.models import BreakGlassGrant, Disclosure, Part2Consent


@admin.register(Part2Consent)
class Part2ConsentAdmin(admin.ModelAdmin):
    list_display = ["patient", "recipient", "expires_at", "revoked_at"]
    readonly_fields = [f.name for f in Part2Consent._meta.fields]

    def has_add_permission(self, request):
        return False  # consents are recorded through the service (audited)


@admin.register(Disclosure)
class DisclosureAdmin(admin.ModelAdmin):
    list_display = ["disclosed_at", "patient", "recipient", "purpose", "channel"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BreakGlassGrant)
class BreakGlassGrantAdmin(admin.ModelAdmin):
    list_display = ["granted_at", "user", "patient", "expires_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
