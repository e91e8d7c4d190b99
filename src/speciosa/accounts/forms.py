"""Login form with an optional second factor (TOTP, django-otp).

A user with a confirmed TOTP device must also give a current code; users without a
device log in with the password alone. Staff enrol a device in the admin
(``OTP_TOTP > TOTP devices``) and from then on the code is required.
"""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django_otp import devices_for_user, match_token


class SecondFactorLoginForm(AuthenticationForm):
    otp_token = forms.CharField(
        label="One-time code (if you enrolled an authenticator)",
        required=False,
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "otp_required": "Enter the one-time code from your authenticator app.",
        "otp_invalid": "The one-time code is wrong or expired.",
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.otp_device = None

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if not any(devices_for_user(user, confirmed=True)):
            return
        token = (self.cleaned_data.get("otp_token") or "").strip()
        if not token:
            raise forms.ValidationError(self.error_messages["otp_required"], code="otp_required")
        device = match_token(user, token)
        if device is None:
            raise forms.ValidationError(self.error_messages["otp_invalid"], code="otp_invalid")
        self.otp_device = device
