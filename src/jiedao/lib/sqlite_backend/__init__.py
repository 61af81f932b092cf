"""SQLite for Django with its writers queued in the kernel (see ``base``)."""
