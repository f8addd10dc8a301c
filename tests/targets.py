"""Local targets for health-check tests (filled in by the probes work)."""
