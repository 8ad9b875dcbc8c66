"""Masking of petitioners' personal data for readers who may see the petition but
not who wrote it in full (DESIGN.md §5). Shared by the pages and the API so that
both show exactly the same thing.

A petitioner row also keeps the three masks, sealed together in one value (MaskedCopyField),
written whenever the row is written: a ledger of 10⁵ rows opens one sealed value per
petitioner instead of three (about 40 µs each on a loaded machine, most of the export's time).
The copy is sealed like the fields it comes from, never stored in the clear: a masked phone
still shows seven of its eleven digits. If a mask below changes, the stored copies must be
written again (fill_masked_copies, from a migration).
"""

from __future__ import annotations

import json

from xinfang.core.fields import EncryptedTextField


def mask_id_number(value: str) -> str:
    return f"{value[:4]}{'*' * 10}{value[-4:]}" if len(value) >= 8 else ("*" * len(value))


def mask_phone(value: str) -> str:
    return f"{value[:3]}****{value[-4:]}" if len(value) >= 7 else ("*" * len(value))


def mask_address(value: str) -> str:
    return f"{value[:6]}…" if value else ""


def masked_copy(id_number: str, phone: str, address: str) -> str:
    """The value MaskedCopyField stores: "" when there is nothing to mask."""
    if not (id_number or phone or address):
        return ""
    masks = [mask_id_number(id_number or ""), mask_phone(phone or ""), mask_address(address or "")]
    return json.dumps(masks, ensure_ascii=False)


def read_masked_copy(value: str) -> tuple[str, str, str]:
    """(ID number, phone, address) as masked on screen, from a stored copy ("" for none)."""
    if not value:
        return "", "", ""
    id_number, phone, address = json.loads(value)
    return id_number, phone, address


class MaskedCopyField(EncryptedTextField):
    """The masked ID number, phone and address of the same row, derived from them every time
    the row is saved (save, bulk_create and core/inserts all call pre_save), so that it cannot
    disagree with them; a `QuerySet.update` of those fields would bypass it (none exists)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def pre_save(self, model_instance, add):
        value = masked_copy(model_instance.id_number, model_instance.phone, model_instance.address)
        setattr(model_instance, self.attname, value)
        return value


def fill_masked_copies(connection, batch: int = 2000) -> int:
    """Write every petitioner's masked copy from its sealed fields (a migration's step, batch by
    batch so memory stays flat at 10⁶ rows). Returns the number of rows written."""
    from xinfang.core import crypto

    table = connection.ops.quote_name("petitions_petitioner")
    purposes = ("petitioner.id_number", "petitioner.phone", "petitioner.address")
    last, total = 0, 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, id_number, phone, address FROM {table} WHERE id > %s ORDER BY id LIMIT %s",  # noqa: S608
                [last, batch],
            )
            rows = cursor.fetchall()
            updates = []
            for row_id, *sealed in rows:
                plain = [
                    crypto.decrypt(v, purpose=p) if v else "" for v, p in zip(sealed, purposes, strict=True)
                ]
                copy = masked_copy(*plain)
                updates.append((crypto.encrypt(copy, purpose="petitioner.masked") if copy else "", row_id))
            for start in range(0, len(updates), 400):  # two parameters a row, under SQLite's 999
                chunk = updates[start : start + 400]
                values = ", ".join(["(%s, CAST(%s AS BIGINT))"] * len(chunk))
                cursor.execute(
                    f"UPDATE {table} SET masked = v.column1 FROM (VALUES {values}) AS v "  # noqa: S608
                    f"WHERE {table}.id = v.column2",
                    [x for pair in chunk for x in pair],
                )
        total += len(updates)
        if len(rows) < batch:
            return total
        last = rows[-1][0]


def petitioner_rows(user, petition, *, reveal: bool) -> list[dict]:
    """The petitioners as `user` may read them. Unmasked only when `reveal` is asked
    for and the user is entitled (permissions.can_see_personal_data); every unmasked
    answer is written to the access log (DESIGN.md §5)."""
    from xinfang.audit.access import record
    from xinfang.petitions.permissions import can_see_personal_data

    full = reveal and can_see_personal_data(user, petition)
    people = list(petition.petitioners.all())
    if full and any(p.id_number or p.phone or p.address for p in people):
        record("petition.personal_data", object_type="petition", object_ref=petition.number, user=user)
    return [
        {
            "name": p.name,
            "id_number": p.id_number if full else mask_id_number(p.id_number),
            "phone": p.phone if full else mask_phone(p.phone),
            "address": p.address if full else mask_address(p.address),
            "work_unit": p.work_unit,
            "is_representative": p.is_representative,
        }
        for p in people
    ]
