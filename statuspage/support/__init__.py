"""The support desk: the ticket-intake hook, matching tickets to incidents, the SLA clock, auto-replies."""
