"""I/O and nothing else: SFTP, the registry database, the outbox, extract files."""
