"""One router per resource: pages, generate, models, export."""
