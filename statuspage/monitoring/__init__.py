"""The health-check engine: definitions, probes, runner, and the policy that turns results into incidents."""
