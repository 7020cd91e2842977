"""Leaves with no mlgate imports: text made safe to show, numbers written for people."""
