"""The plots family: DVC's plots of both sides, read and compared."""
