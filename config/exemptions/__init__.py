"""The public-records exemptions shipped with the archiver, installed as package data
`archiver.exemptions` (see pyproject.toml): `massachusetts.toml` is the default."""
