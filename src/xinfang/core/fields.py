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
        purpose = self._purpose()
        return _open(value, purpose, lambda sealed: crypto.decrypt(sealed, purpose=purpose))

    def opener(self):
        """`from_db_value` for many values read raw (an export reading SQL of its own): the
        keys are looked up once (crypto.opener)."""
        purpose = self._purpose()
        open_value = crypto.opener(purpose)
        return lambda value: _open(value, purpose, open_value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        return crypto.encrypt(value, purpose=self._purpose())

    def sealer(self):
        """`get_prep_value` for many values written raw (core/inserts.py, a ledger import):
        the same sealing, with the key read once (crypto.sealer)."""
        seal = crypto.sealer(self._purpose())
        prep = super().get_prep_value

        def value(value):
            value = prep(value)
            return seal(value) if value else value

        return value


def _open(value, purpose: str, open_value):
    """A stored value as read: empty stays empty, plaintext in an encrypted column is refused
    (never shown as if it were data), a sealed value is opened with `open_value`."""
    if not value:
        return value
    if not crypto.is_sealed(value):
        raise crypto.DecryptionError(f"{purpose}: a plaintext value in an encrypted column")
    return open_value(value)
