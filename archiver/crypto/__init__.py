"""Cryptography: sealing records, wrapping keys, MACs (the only users of `cryptography`)."""
