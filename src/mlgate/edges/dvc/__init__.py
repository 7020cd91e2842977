"""The DVC project: open it, read it at a revision, reproduce it, and read metrics committed to git."""
