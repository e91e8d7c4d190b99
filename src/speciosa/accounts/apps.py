from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "speciosa.accounts"
    label = "accounts"
