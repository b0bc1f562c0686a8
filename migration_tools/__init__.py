"""Admin tools that move a live Firebase deployment (Auth + Firestore) into ReachImpact's PostgreSQL."""
