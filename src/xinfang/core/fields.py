"""A model field whose values are encrypted in the database (core/crypto.py).

Reads decrypt transparently; a value that fails to open raises instead of
showing wrong data. Encrypted columns cannot be searched: exact look-ups go
through keyed blind indexes kept beside them (see petitions.Petitioner).
"""

from django.db import models

from xinfang.core import crypto


class EncryptedTextField(models.TextField):
    def __init__(self, *args, purpose: str = "", **kwargs):
        self.purpose = purpose
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["purpose"] = self.purpose
        return name, path, args, kwargs

    def _purpose(self) -> str:
        return self.purpose or f"{self.model._meta.label_lower}.{self.name}"

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        if not crypto.is_sealed(value):
            raise crypto.DecryptionError(f"{self._purpose()}: a plaintext value in an encrypted column")
        return crypto.decrypt(value, purpose=self._purpose())

    def opener(self):
        """`from_db_value` for many values read raw (an export reading SQL of its own): the
        keys are looked up once (crypto.opener)."""
        purpose = self._purpose()
        open_value = crypto.opener(purpose)

        def from_db(value):
            if not value:
                return value
            if not crypto.is_sealed(value):
                raise crypto.DecryptionError(f"{purpose}: a plaintext value in an encrypted column")
            return open_value(value)

        return from_db

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        return crypto.encrypt(value, purpose=self._purpose())
