"""ReachImpact: outreach for nonprofits and campaigns."""
