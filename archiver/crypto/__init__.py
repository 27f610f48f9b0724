"""Cryptography: sealing records and deriving blind-index terms (the only users of `cryptography`)."""
