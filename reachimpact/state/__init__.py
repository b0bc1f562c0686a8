"""One rx.State per page, all under AppState: thin, they call services and hold what a page shows."""
