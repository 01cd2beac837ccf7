"""Secret values at rest and on the way out: sealing, redaction, resolution, scrubbing."""
