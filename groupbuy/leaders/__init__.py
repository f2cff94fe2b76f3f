"""Leaders: applications, pickup points, nearby search, suspension, credit."""
