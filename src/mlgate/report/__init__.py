"""What people read: the Markdown report (templates, cells, charts, budget), the terminal summary, the
history table, the cross-model summary and the sticky comment's marker."""
