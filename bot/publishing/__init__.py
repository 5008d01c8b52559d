"""Publishing issues: plans of steps with stable keys, one engine that runs each once, outlets."""
