"""Database ids from user input: whole numbers within what every database stores.

A number outside the 64-bit range is not an id at all; passing it to a query
would overflow the driver (a 500 on SQLite, a DataError on PostgreSQL).
"""

MAX_ID = 2**63 - 1


def parse_id(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value.isdigit() or len(value) > 19:
            return None
    elif not isinstance(value, int):
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None
