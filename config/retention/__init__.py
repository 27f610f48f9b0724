"""The retention schedules shipped with the archiver, installed as package data
`archiver.schedules` (see pyproject.toml): `massachusetts-schools.toml` is the default."""
