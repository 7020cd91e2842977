"""The pure core: snapshots of metrics, their comparison, the rule registry, gates and their verdict,
and the judges that read main's recorded history. No I/O; nothing here imports edges, run, report or publish."""
