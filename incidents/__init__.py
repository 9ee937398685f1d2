"""incidents: turns articles into incidents and keeps them (the `incidentmap` CLI lives here)."""
