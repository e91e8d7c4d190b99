"""Login with the optional second factor (see accounts/forms.py)."""

from django.contrib.auth import views as auth_views
from django_otp import login as otp_login

from speciosa.accounts.forms import SecondFactorLoginForm


class LoginView(auth_views.LoginView):
    authentication_form = SecondFactorLoginForm

    def form_valid(self, form):
        response = super().form_valid(form)
        if form.otp_device is not None:
            # mark the session verified so OTP-protected views (request.user.is_verified())
            # accept it; must follow auth login, which rotates the session
            otp_login(self.request, form.otp_device)
        return response
