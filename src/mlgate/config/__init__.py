"""mlgate.yaml: its schema (the typed blocks), its loading (YAML limits, line index, cross-block checks),
the field validators, the environment's settings, and the starter files ``mlgate init`` writes."""
