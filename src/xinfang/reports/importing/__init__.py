"""Importing an office's existing ledgers (台账): read the file, map the rows, register them."""
