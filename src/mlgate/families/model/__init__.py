"""The trained model as a file: load it, measure its size and prediction latency, fingerprint its interface.

Loading a model runs code from the revision that wrote it (unpickling executes whatever the file
says): the same trust as running that revision's pipeline, which mlgate already does. It happens in
the run, never in ``mlgate ci --mode publish``, the half that holds write permissions, and always in a
worker process with a time limit per call (``worker``): whatever that code does is the file's error.
"""
