"""Understanding messages: parsing, forwarded originals, student tags."""
