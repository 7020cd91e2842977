"""One module a command: parse-free functions that take argparse's namespace and return an exit code."""
