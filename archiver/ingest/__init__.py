"""Getting messages in: reading sources, preparing (understand, seal) and writing records."""
